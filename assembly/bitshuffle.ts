// Bitshuffle (Masui et al. 2015) decoding, and the whole chunk format of its HDF5 filter 32008 with LZ4, which the
// DECTRIS detectors (EIGER, ARINA) write.
//
// Bitshuffle stores a block of n elements (n a multiple of 8, elemSize bytes each) as 8 * elemSize bit rows of n/8
// bytes: row (j * 8 + k) holds bit k of byte j of every element, element i in bit (i % 8) of byte i / 8.
//
// Filter chunk: u64 big-endian uncompressed bytes, u32 big-endian block size in bytes, then for each block of
// blockSize elements (and one final block of the remaining elements rounded down to a multiple of 8): u32
// big-endian compressed size and an LZ4 block holding the bitshuffled elements. The last (n % 8) elements follow
// as plain bytes.
// The bit untranspose itself is assembly/shuffle.ts's (one SIMD implementation for this reader and the codec).
import { lz4DecodeBlock } from "./lz4";
import { bitshuffleUntranspose } from "./shuffle";

@inline function loadU32BE(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

/**
 * Decodes one chunk of the bitshuffle+LZ4 HDF5 filter into dst (dstLen bytes expected). scratch must hold two blocks
 * (2 x the block size in bytes stated at src + 8): the LZ4 output and the byte planes. Returns dstLen, or a negative fault code -(offset * 8 + kind) with
 * kind 1: the stated size differs from dstLen, 2: a block's size runs past the chunk, 3: a corrupt LZ4 block (offset
 * of the fault), 4: a block that decodes to the wrong size, 5: the chunk ends before its last bytes.
 */
export function bitshuffleLz4DecodeChunk(src: usize, srcLen: i32, dst: usize, dstLen: i32, elemSize: i32, scratch: usize): i32 {
  if (srcLen < 12) return -(0 * 8 + 5);
  const total = bswap<u64>(load<u64>(src));
  if (total != <u64>dstLen) return -(0 * 8 + 1);
  const blockBytes = <i32>loadU32BE(src + 8);
  const blockElems = blockBytes / elemSize;
  if (blockElems <= 0 || blockElems % 8 != 0 || blockBytes % elemSize != 0) return -(8 * 8 + 1);
  const n = dstLen / elemSize;
  let ip: i32 = 12;
  let op: i32 = 0;
  let left = n;
  while (left >= 8) {
    const elems = left >= blockElems ? blockElems : left - (left % 8);
    const bytes = elems * elemSize;
    if (srcLen - ip < 4) return -(ip * 8 + 2);
    const clen = <i32>loadU32BE(src + <usize>ip);
    ip += 4;
    if (clen < 0 || clen > srcLen - ip) return -((ip - 4) * 8 + 2);
    const got = lz4DecodeBlock(src + <usize>ip, clen, scratch, bytes);
    if (got < 0) return -((ip + (-got - 1)) * 8 + 3);
    if (got != bytes) return -(ip * 8 + 4);
    bitshuffleUntranspose(scratch, dst + <usize>op, elems, elemSize, scratch + <usize>blockBytes);
    ip += clen;
    op += bytes;
    left -= elems;
  }
  const rest = left * elemSize;
  if (srcLen - ip < rest) return -(ip * 8 + 5);
  memory.copy(dst + <usize>op, src + <usize>ip, <usize>rest);
  return dstLen;
}
