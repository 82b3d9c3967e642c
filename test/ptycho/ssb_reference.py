"""A straightforward single-side-band ptychography in numpy, the reference the TypeScript SSB is checked against
(tests and bench/ptycho.ts): the 4D FFT over the scan axes of the bright-field pixels (every trotter lies in the
disk), held in memory; then for every scan frequency Q the sum over its trotter (pixels k with |k| < alpha,
|k - Q| < alpha, |k + Q| >= alpha) of G(k, Q) exp(-i chi(k) + i chi(k - Q)), divided by the mean bright-field
intensity over the same pixels (plus a Wiener term); and an inverse FFT.

usage: ssb_reference.py DATA.npy PARAMS.json OUT.npy   (OUT: the object as float64 [ny, nx, 2]: re, im)
"""
import json
import sys

import numpy as np


def wavelength(kv):
    v = kv * 1e3
    return 12.264259 / np.sqrt(v * (1 + 0.978476e-6 * v))


def chi(k2, lam, defocus, c3mm):
    return np.pi * lam * defocus * k2 + np.pi / 2 * c3mm * 1e7 * lam**3 * k2**2


def scan_to_detector(vy, vx, rot_deg, flip):
    y, x = (vx, vy) if flip else (vy, vx)
    t = np.deg2rad(rot_deg)
    return np.sin(t) * x + np.cos(t) * y, np.cos(t) * x - np.sin(t) * y


def geometry(shape, p):
    """Wavelength, aperture radius (1/A), detector frequencies KY, KX (1/A) and the bright-field disk's mask."""
    dr, dc = shape[2:]
    lam = wavelength(p["kv"])
    ka = p["alphaMrad"] * 1e-3 / lam
    cy, cx = p["center"]
    dk = p["mradPerPixel"] * 1e-3 / lam
    KY, KX = np.meshgrid((np.arange(dr) - cy) * dk, (np.arange(dc) - cx) * dk, indexing="ij")
    return lam, ka, KY, KX, KY**2 + KX**2 < ka**2


def ssb(data, p):
    ny, nx, dr, dc = data.shape
    lam, ka, KY, KX, bf = geometry(data.shape, p)
    sy, sx = p["stepA"]
    # Every trotter lies inside the bright-field disk: the 4D FFT is only needed over its pixels.
    G = np.fft.fft2(data[:, :, bf].astype(np.float64), axes=(0, 1))
    ky, kx = KY[bf], KX[bf]
    mean = G[0, 0].real / (ny * nx)
    floor = p.get("wiener", 0) * mean.sum()
    df, c3 = p.get("defocusA", 0), p.get("c3mm", 0)
    chi0 = chi(ky**2 + kx**2, lam, df, c3)
    qys = np.fft.fftfreq(ny, d=sy)
    qxs = np.fft.fftfreq(nx, d=sx)
    spectrum = np.zeros((ny, nx), complex)
    spectrum[0, 0] = ny * nx
    for iy in range(ny):
        for ix in range(nx):
            if iy == 0 and ix == 0:
                continue
            qy, qx = scan_to_detector(qys[iy], qxs[ix], p["rotationDeg"], p["flip"])
            if qy**2 + qx**2 >= 4 * ka**2:
                continue
            minus = ((ky - qy) ** 2 + (kx - qx) ** 2 < ka**2) & ~((ky + qy) ** 2 + (kx + qx) ** 2 < ka**2)
            if not minus.any():
                continue
            corr = np.exp(-1j * chi0[minus] + 1j * chi((ky[minus] - qy) ** 2 + (kx[minus] - qx) ** 2, lam, df, c3))
            spectrum[iy, ix] = (G[iy, ix][minus] * corr).sum() / (mean[minus].sum() + floor)
    return np.fft.ifft2(spectrum)


if __name__ == "__main__":
    data = np.load(sys.argv[1], mmap_mode="r")
    params = json.load(open(sys.argv[2]))
    obj = ssb(data, params)
    np.save(sys.argv[3], np.stack([obj.real, obj.imag], axis=-1))
