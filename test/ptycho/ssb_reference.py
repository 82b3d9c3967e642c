"""A straightforward single-side-band ptychography in numpy, the reference the TypeScript SSB is checked against:
the whole 4D FFT over the scan axes, then for every scan frequency Q the sum over its trotter (pixels k with
|k| < alpha, |k - Q| < alpha, |k + Q| >= alpha) of G(k, Q) exp(-i chi(k) + i chi(k - Q)), divided by the mean
bright-field intensity over the same pixels (plus a Wiener term), and an inverse FFT.

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


def ssb(data, p):
    ny, nx, dr, dc = data.shape
    lam = wavelength(p["kv"])
    ka = p["alphaMrad"] * 1e-3 / lam
    sy, sx = p["stepA"]
    cy, cx = p["center"]
    dk = p["mradPerPixel"] * 1e-3 / lam
    ky = (np.arange(dr) - cy) * dk
    kx = (np.arange(dc) - cx) * dk
    KY, KX = np.meshgrid(ky, kx, indexing="ij")
    bf = KY**2 + KX**2 < ka**2
    G = np.fft.fft2(data.astype(np.float64), axes=(0, 1))
    mean = G[0, 0].real / (ny * nx)
    floor = p.get("wiener", 0) * mean[bf].sum()
    df, c3 = p.get("defocusA", 0), p.get("c3mm", 0)
    chi0 = chi(KY**2 + KX**2, lam, df, c3)
    qys = np.fft.fftfreq(ny, d=sy)
    qxs = np.fft.fftfreq(nx, d=sx)
    spectrum = np.zeros((ny, nx), complex)
    spectrum[0, 0] = ny * nx
    for iy in range(ny):
        for ix in range(nx):
            if iy == 0 and ix == 0:
                continue
            qy, qx = scan_to_detector(qys[iy], qxs[ix], p["rotationDeg"], p["flip"])
            minus = bf & ((KY - qy) ** 2 + (KX - qx) ** 2 < ka**2) & ~((KY + qy) ** 2 + (KX + qx) ** 2 < ka**2)
            if not minus.any():
                continue
            corr = np.exp(-1j * chi0 + 1j * chi((KY - qy) ** 2 + (KX - qx) ** 2, lam, df, c3))
            spectrum[iy, ix] = (G[iy, ix][minus] * corr[minus]).sum() / (mean[minus].sum() + floor)
    return np.fft.ifft2(spectrum)


if __name__ == "__main__":
    data = np.load(sys.argv[1])
    params = json.load(open(sys.argv[2]))
    obj = ssb(data, params)
    np.save(sys.argv[3], np.stack([obj.real, obj.imag], axis=-1))
