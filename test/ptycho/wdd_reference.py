"""A straightforward Wigner distribution deconvolution (WDD, Rodenburg & Bates 1992) in numpy, the reference the
TypeScript WDD is checked against: the 4D FFT over the scan axes of the bright-field pixels, held in memory; for every
scan frequency Q with |Q| < 2 alpha, its inverse FFT over the detector, H(rho, Q), divided (Wiener-style) by the
probe's ambiguity function chi_A(rho, Q) = sum_k A(k) conj(A(k + Q)) exp(2 pi i k rho), A the aperture times
exp(-i chi); the sum over rho of the quotient is conj(T~(-Q)) T~(0), and an inverse FFT gives conj(T).

usage: wdd_reference.py DATA.npy PARAMS.json OUT.npy   (OUT: the object as float64 [ny, nx, 2]: re, im)
PARAMS: kv, alphaMrad, stepA, mradPerPixel, center, rotationDeg, flip, defocusA, c3mm, epsilon
"""
import json
import sys

import numpy as np

from ssb_reference import chi, geometry, scan_to_detector


def wdd(data, p):
    ny, nx, dr, dc = data.shape
    lam, ka, KY, KX, bf = geometry(data.shape, p)
    sy, sx = p["stepA"]
    df, c3 = p.get("defocusA", 0), p.get("c3mm", 0)
    G = np.zeros((ny, nx, dr, dc), complex)
    G[:, :, bf] = np.fft.fft2(data[:, :, bf].astype(np.float64), axes=(0, 1))
    # H(rho, Q) = sum_k G(k, Q) exp(2 pi i k rho), rho on the detector's reciprocal grid.
    H = np.fft.ifft2(G, axes=(2, 3)) * (dr * dc)

    def A(ky, kx):
        return (ky**2 + kx**2 < ka**2) * np.exp(-1j * chi(ky**2 + kx**2, lam, df, c3))

    eps = p["epsilon"] * bf.sum() ** 2
    qys = np.fft.fftfreq(ny, d=sy)
    qxs = np.fft.fftfreq(nx, d=sx)
    S = np.zeros((ny, nx), complex)
    for iy in range(ny):
        for ix in range(nx):
            qy, qx = scan_to_detector(qys[iy], qxs[ix], p["rotationDeg"], p["flip"])
            if qy**2 + qx**2 >= 4 * ka**2:
                continue
            chiA = np.fft.ifft2(A(KY, KX) * np.conj(A(KY + qy, KX + qx))) * (dr * dc)
            S[iy, ix] = (H[iy, ix] * np.conj(chiA) / (np.abs(chiA) ** 2 + eps)).sum()
    obj = np.conj(np.fft.ifft2(S))
    return obj / np.abs(obj).mean()


if __name__ == "__main__":
    data = np.load(sys.argv[1], mmap_mode="r")
    params = json.load(open(sys.argv[2]))
    obj = wdd(data, params)
    np.save(sys.argv[3], np.stack([obj.real, obj.imag], axis=-1))
