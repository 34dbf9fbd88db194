import io, os, time
import numpy as np
import requests

url = os.environ.get("BRAIN_SERVER", "http://localhost:3001")
auth = {"authorization": "Bearer " + os.environ["BRAIN_TOKEN"]}

def upload(matrix):
    buf = io.BytesIO()
    np.save(buf, matrix)
    r = requests.post(url + "/api/matrices", data=buf.getvalue(),
                      headers={**auth, "content-type": "application/x-npy"})
    r.raise_for_status()
    return r.json()["id"]

rng = np.random.default_rng(7)
A = rng.standard_normal((500, 300), dtype=np.float32)
B = rng.standard_normal((300, 400))  # float64: the server stores it as float32

r = requests.post(url + "/api/jobs", json={"a": upload(A), "b": upload(B)}, headers=auth)
r.raise_for_status()
job = r.json()["id"]

while True:
    view = requests.get(f"{url}/api/jobs/{job}", headers=auth).json()
    if view["status"] in ("completed", "failed", "cancelled"):
        break
    time.sleep(0.3)
assert view["status"] == "completed", view

r = requests.get(f"{url}/api/jobs/{job}/result", headers={**auth, "accept": "application/x-npy"})
r.raise_for_status()
C = np.load(io.BytesIO(r.content))
assert C.shape == (500, 400) and C.dtype == np.float32
assert np.allclose(C, A @ B, rtol=1e-4, atol=1e-4)
print("C = A @ B:", C.shape, C.dtype, "job", job)
