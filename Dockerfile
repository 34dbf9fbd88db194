# Build: the fat jar, with the tests left to CI (they need Chromium).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -ntp -q dependency:go-offline
COPY src src
COPY webroot webroot
COPY shaders shaders
COPY config config
RUN mvn -B -ntp -q package -DskipTests

# Run: a JRE, the jar, and a volume for the SQLite file.
FROM eclipse-temurin:17-jre
WORKDIR /app
RUN useradd --system --home /app brain && mkdir -p /app/data && chown brain /app/data
COPY --from=build /src/target/distributed-brain.jar /app/distributed-brain.jar
USER brain
ENV PORT=3001 BRAIN_DB_URL=jdbc:sqlite:/app/data/brain.db
EXPOSE 3001
VOLUME /app/data
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/distributed-brain.jar"]
