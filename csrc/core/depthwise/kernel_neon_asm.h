// The NEON depthwise blocks in assembly, for one vector arrangement: each NEON kernel file defines PPMS_DW_ARR as
// its own ("4s": 4 floats, kernel_neon.cpp; "8h": 8 halves, kernel_f16_neon.cpp, inside its FP16 target) and
// includes this; neon_blocks has internal linkage, like kernel_impl.h's functions. The two differ only in the
// arrangement, the element size and 1 / 6's bits, so the registers, loads and FMAs per block are the same: an .8h
// block computes twice the channels for the same instructions.
#pragma once

#include <cstdint>

#include "core/common/activate_neon.h"
#include "core/depthwise/kernels.h"

namespace ppms {
namespace dw {
namespace {

// Interior blocks of 3 x 3 and 5 x 5 rows in assembly: GCC kept a pointer per (kernel row, input column) across
// blocks for offset_blocks' 5 x 5 case and spilled them. Here one pointer walks a kernel row's input columns by ld1
// post-incremented by the channel stride (no offset registers), 5 x 5 taps the same way, and the outputs are stored
// so. Blocks of 16 columns: 5 x 5, 5 x (5 + 20) loads for 400 FMAs at stride 1, 5 x (5 + 35) at stride 2 (with 8 or
// 4 columns the taps' loads and each row's setup were a quarter of the FMAs); 3 x 3, 3 x 18 or 3 x 33 loads for 144
// FMAs, its 9 taps held for the row. Registers: accumulators v0-v15; 5 x 5: a kernel row's taps v16-v20, its inputs
// rotating through v21-v23; 3 x 3: the taps v16-v24, the inputs alternating between v25 and v26; the bias v31, the
// activation's constants v27-v30, its temporary v26 (after the FMAs).
#define PPMS_DW_IN(v) "ld1 {v" #v "." PPMS_DW_ARR "}, [%[p]], %[cb]\n\t"
#define PPMS_DW_FMA(acc, x, w) "fmla v" #acc "." PPMS_DW_ARR ", v" #x "." PPMS_DW_ARR ", v" #w "." PPMS_DW_ARR "\n\t"
#define PPMS_DW_TAP(v) "ld1 {v" #v "." PPMS_DW_ARR "}, [%[t]], %[cb]\n\t"
// one kernel row of 5 taps at stride 1: input column j feeds output i through tap j - i
#define PPMS_DW_S1                                                                                               \
  PPMS_DW_IN(21) PPMS_DW_FMA(0, 21, 16)                                                                          \
  PPMS_DW_IN(22) PPMS_DW_FMA(0, 22, 17) PPMS_DW_FMA(1, 22, 16)                                                   \
  PPMS_DW_IN(23) PPMS_DW_FMA(0, 23, 18) PPMS_DW_FMA(1, 23, 17) PPMS_DW_FMA(2, 23, 16)                            \
  PPMS_DW_IN(21) PPMS_DW_FMA(0, 21, 19) PPMS_DW_FMA(1, 21, 18) PPMS_DW_FMA(2, 21, 17) PPMS_DW_FMA(3, 21, 16)     \
  PPMS_DW_IN(22) PPMS_DW_FMA(0, 22, 20) PPMS_DW_FMA(1, 22, 19) PPMS_DW_FMA(2, 22, 18) PPMS_DW_FMA(3, 22, 17)     \
      PPMS_DW_FMA(4, 22, 16)                                                                                     \
  PPMS_DW_IN(23) PPMS_DW_FMA(1, 23, 20) PPMS_DW_FMA(2, 23, 19) PPMS_DW_FMA(3, 23, 18) PPMS_DW_FMA(4, 23, 17)     \
      PPMS_DW_FMA(5, 23, 16)                                                                                     \
  PPMS_DW_IN(21) PPMS_DW_FMA(2, 21, 20) PPMS_DW_FMA(3, 21, 19) PPMS_DW_FMA(4, 21, 18) PPMS_DW_FMA(5, 21, 17)     \
      PPMS_DW_FMA(6, 21, 16)                                                                                     \
  PPMS_DW_IN(22) PPMS_DW_FMA(3, 22, 20) PPMS_DW_FMA(4, 22, 19) PPMS_DW_FMA(5, 22, 18) PPMS_DW_FMA(6, 22, 17)     \
      PPMS_DW_FMA(7, 22, 16)                                                                                     \
  PPMS_DW_IN(23) PPMS_DW_FMA(4, 23, 20) PPMS_DW_FMA(5, 23, 19) PPMS_DW_FMA(6, 23, 18) PPMS_DW_FMA(7, 23, 17)     \
      PPMS_DW_FMA(8, 23, 16)                                                                                     \
  PPMS_DW_IN(21) PPMS_DW_FMA(5, 21, 20) PPMS_DW_FMA(6, 21, 19) PPMS_DW_FMA(7, 21, 18) PPMS_DW_FMA(8, 21, 17)     \
      PPMS_DW_FMA(9, 21, 16)                                                                                     \
  PPMS_DW_IN(22) PPMS_DW_FMA(6, 22, 20) PPMS_DW_FMA(7, 22, 19) PPMS_DW_FMA(8, 22, 18) PPMS_DW_FMA(9, 22, 17)     \
      PPMS_DW_FMA(10, 22, 16)                                                                                    \
  PPMS_DW_IN(23) PPMS_DW_FMA(7, 23, 20) PPMS_DW_FMA(8, 23, 19) PPMS_DW_FMA(9, 23, 18) PPMS_DW_FMA(10, 23, 17)    \
      PPMS_DW_FMA(11, 23, 16)                                                                                    \
  PPMS_DW_IN(21) PPMS_DW_FMA(8, 21, 20) PPMS_DW_FMA(9, 21, 19) PPMS_DW_FMA(10, 21, 18) PPMS_DW_FMA(11, 21, 17)   \
      PPMS_DW_FMA(12, 21, 16)                                                                                    \
  PPMS_DW_IN(22) PPMS_DW_FMA(9, 22, 20) PPMS_DW_FMA(10, 22, 19) PPMS_DW_FMA(11, 22, 18) PPMS_DW_FMA(12, 22, 17)  \
      PPMS_DW_FMA(13, 22, 16)                                                                                    \
  PPMS_DW_IN(23) PPMS_DW_FMA(10, 23, 20) PPMS_DW_FMA(11, 23, 19) PPMS_DW_FMA(12, 23, 18) PPMS_DW_FMA(13, 23, 17) \
      PPMS_DW_FMA(14, 23, 16)                                                                                    \
  PPMS_DW_IN(21) PPMS_DW_FMA(11, 21, 20) PPMS_DW_FMA(12, 21, 19) PPMS_DW_FMA(13, 21, 18) PPMS_DW_FMA(14, 21, 17) \
      PPMS_DW_FMA(15, 21, 16)                                                                                    \
  PPMS_DW_IN(22) PPMS_DW_FMA(12, 22, 20) PPMS_DW_FMA(13, 22, 19) PPMS_DW_FMA(14, 22, 18) PPMS_DW_FMA(15, 22, 17) \
  PPMS_DW_IN(23) PPMS_DW_FMA(13, 23, 20) PPMS_DW_FMA(14, 23, 19) PPMS_DW_FMA(15, 23, 18)                         \
  PPMS_DW_IN(21) PPMS_DW_FMA(14, 21, 20) PPMS_DW_FMA(15, 21, 19)                                                 \
  PPMS_DW_IN(22) PPMS_DW_FMA(15, 22, 20)
// the same at stride 2: input column j feeds output i through tap j - 2i
#define PPMS_DW_S2                                                                       \
  PPMS_DW_IN(21) PPMS_DW_FMA(0, 21, 16)                                                  \
  PPMS_DW_IN(22) PPMS_DW_FMA(0, 22, 17)                                                  \
  PPMS_DW_IN(23) PPMS_DW_FMA(0, 23, 18) PPMS_DW_FMA(1, 23, 16)                           \
  PPMS_DW_IN(21) PPMS_DW_FMA(0, 21, 19) PPMS_DW_FMA(1, 21, 17)                           \
  PPMS_DW_IN(22) PPMS_DW_FMA(0, 22, 20) PPMS_DW_FMA(1, 22, 18) PPMS_DW_FMA(2, 22, 16)    \
  PPMS_DW_IN(23) PPMS_DW_FMA(1, 23, 19) PPMS_DW_FMA(2, 23, 17)                           \
  PPMS_DW_IN(21) PPMS_DW_FMA(1, 21, 20) PPMS_DW_FMA(2, 21, 18) PPMS_DW_FMA(3, 21, 16)    \
  PPMS_DW_IN(22) PPMS_DW_FMA(2, 22, 19) PPMS_DW_FMA(3, 22, 17)                           \
  PPMS_DW_IN(23) PPMS_DW_FMA(2, 23, 20) PPMS_DW_FMA(3, 23, 18) PPMS_DW_FMA(4, 23, 16)    \
  PPMS_DW_IN(21) PPMS_DW_FMA(3, 21, 19) PPMS_DW_FMA(4, 21, 17)                           \
  PPMS_DW_IN(22) PPMS_DW_FMA(3, 22, 20) PPMS_DW_FMA(4, 22, 18) PPMS_DW_FMA(5, 22, 16)    \
  PPMS_DW_IN(23) PPMS_DW_FMA(4, 23, 19) PPMS_DW_FMA(5, 23, 17)                           \
  PPMS_DW_IN(21) PPMS_DW_FMA(4, 21, 20) PPMS_DW_FMA(5, 21, 18) PPMS_DW_FMA(6, 21, 16)    \
  PPMS_DW_IN(22) PPMS_DW_FMA(5, 22, 19) PPMS_DW_FMA(6, 22, 17)                           \
  PPMS_DW_IN(23) PPMS_DW_FMA(5, 23, 20) PPMS_DW_FMA(6, 23, 18) PPMS_DW_FMA(7, 23, 16)    \
  PPMS_DW_IN(21) PPMS_DW_FMA(6, 21, 19) PPMS_DW_FMA(7, 21, 17)                           \
  PPMS_DW_IN(22) PPMS_DW_FMA(6, 22, 20) PPMS_DW_FMA(7, 22, 18) PPMS_DW_FMA(8, 22, 16)    \
  PPMS_DW_IN(23) PPMS_DW_FMA(7, 23, 19) PPMS_DW_FMA(8, 23, 17)                           \
  PPMS_DW_IN(21) PPMS_DW_FMA(7, 21, 20) PPMS_DW_FMA(8, 21, 18) PPMS_DW_FMA(9, 21, 16)    \
  PPMS_DW_IN(22) PPMS_DW_FMA(8, 22, 19) PPMS_DW_FMA(9, 22, 17)                           \
  PPMS_DW_IN(23) PPMS_DW_FMA(8, 23, 20) PPMS_DW_FMA(9, 23, 18) PPMS_DW_FMA(10, 23, 16)   \
  PPMS_DW_IN(21) PPMS_DW_FMA(9, 21, 19) PPMS_DW_FMA(10, 21, 17)                          \
  PPMS_DW_IN(22) PPMS_DW_FMA(9, 22, 20) PPMS_DW_FMA(10, 22, 18) PPMS_DW_FMA(11, 22, 16)  \
  PPMS_DW_IN(23) PPMS_DW_FMA(10, 23, 19) PPMS_DW_FMA(11, 23, 17)                         \
  PPMS_DW_IN(21) PPMS_DW_FMA(10, 21, 20) PPMS_DW_FMA(11, 21, 18) PPMS_DW_FMA(12, 21, 16) \
  PPMS_DW_IN(22) PPMS_DW_FMA(11, 22, 19) PPMS_DW_FMA(12, 22, 17)                         \
  PPMS_DW_IN(23) PPMS_DW_FMA(11, 23, 20) PPMS_DW_FMA(12, 23, 18) PPMS_DW_FMA(13, 23, 16) \
  PPMS_DW_IN(21) PPMS_DW_FMA(12, 21, 19) PPMS_DW_FMA(13, 21, 17)                         \
  PPMS_DW_IN(22) PPMS_DW_FMA(12, 22, 20) PPMS_DW_FMA(13, 22, 18) PPMS_DW_FMA(14, 22, 16) \
  PPMS_DW_IN(23) PPMS_DW_FMA(13, 23, 19) PPMS_DW_FMA(14, 23, 17)                         \
  PPMS_DW_IN(21) PPMS_DW_FMA(13, 21, 20) PPMS_DW_FMA(14, 21, 18) PPMS_DW_FMA(15, 21, 16) \
  PPMS_DW_IN(22) PPMS_DW_FMA(14, 22, 19) PPMS_DW_FMA(15, 22, 17)                         \
  PPMS_DW_IN(23) PPMS_DW_FMA(14, 23, 20) PPMS_DW_FMA(15, 23, 18)                         \
  PPMS_DW_IN(21) PPMS_DW_FMA(15, 21, 19)                                                 \
  PPMS_DW_IN(22) PPMS_DW_FMA(15, 22, 20)
// one kernel row of 3 taps (in v(w0..w2)) at stride 1; its inputs alternate between v25 and v26
#define PPMS_DW3_S1(w0, w1, w2)                                                          \
  PPMS_DW_IN(25) PPMS_DW_FMA(0, 25, w0)                                                  \
  PPMS_DW_IN(26) PPMS_DW_FMA(0, 26, w1) PPMS_DW_FMA(1, 26, w0)                           \
  PPMS_DW_IN(25) PPMS_DW_FMA(0, 25, w2) PPMS_DW_FMA(1, 25, w1) PPMS_DW_FMA(2, 25, w0)    \
  PPMS_DW_IN(26) PPMS_DW_FMA(1, 26, w2) PPMS_DW_FMA(2, 26, w1) PPMS_DW_FMA(3, 26, w0)    \
  PPMS_DW_IN(25) PPMS_DW_FMA(2, 25, w2) PPMS_DW_FMA(3, 25, w1) PPMS_DW_FMA(4, 25, w0)    \
  PPMS_DW_IN(26) PPMS_DW_FMA(3, 26, w2) PPMS_DW_FMA(4, 26, w1) PPMS_DW_FMA(5, 26, w0)    \
  PPMS_DW_IN(25) PPMS_DW_FMA(4, 25, w2) PPMS_DW_FMA(5, 25, w1) PPMS_DW_FMA(6, 25, w0)    \
  PPMS_DW_IN(26) PPMS_DW_FMA(5, 26, w2) PPMS_DW_FMA(6, 26, w1) PPMS_DW_FMA(7, 26, w0)    \
  PPMS_DW_IN(25) PPMS_DW_FMA(6, 25, w2) PPMS_DW_FMA(7, 25, w1) PPMS_DW_FMA(8, 25, w0)    \
  PPMS_DW_IN(26) PPMS_DW_FMA(7, 26, w2) PPMS_DW_FMA(8, 26, w1) PPMS_DW_FMA(9, 26, w0)    \
  PPMS_DW_IN(25) PPMS_DW_FMA(8, 25, w2) PPMS_DW_FMA(9, 25, w1) PPMS_DW_FMA(10, 25, w0)   \
  PPMS_DW_IN(26) PPMS_DW_FMA(9, 26, w2) PPMS_DW_FMA(10, 26, w1) PPMS_DW_FMA(11, 26, w0)  \
  PPMS_DW_IN(25) PPMS_DW_FMA(10, 25, w2) PPMS_DW_FMA(11, 25, w1) PPMS_DW_FMA(12, 25, w0) \
  PPMS_DW_IN(26) PPMS_DW_FMA(11, 26, w2) PPMS_DW_FMA(12, 26, w1) PPMS_DW_FMA(13, 26, w0) \
  PPMS_DW_IN(25) PPMS_DW_FMA(12, 25, w2) PPMS_DW_FMA(13, 25, w1) PPMS_DW_FMA(14, 25, w0) \
  PPMS_DW_IN(26) PPMS_DW_FMA(13, 26, w2) PPMS_DW_FMA(14, 26, w1) PPMS_DW_FMA(15, 26, w0) \
  PPMS_DW_IN(25) PPMS_DW_FMA(14, 25, w2) PPMS_DW_FMA(15, 25, w1)                         \
  PPMS_DW_IN(26) PPMS_DW_FMA(15, 26, w2)
// the same at stride 2: input column j feeds output i through tap j - 2i
#define PPMS_DW3_S2(w0, w1, w2)                                  \
  PPMS_DW_IN(25) PPMS_DW_FMA(0, 25, w0)                          \
  PPMS_DW_IN(26) PPMS_DW_FMA(0, 26, w1)                          \
  PPMS_DW_IN(25) PPMS_DW_FMA(0, 25, w2) PPMS_DW_FMA(1, 25, w0)   \
  PPMS_DW_IN(26) PPMS_DW_FMA(1, 26, w1)                          \
  PPMS_DW_IN(25) PPMS_DW_FMA(1, 25, w2) PPMS_DW_FMA(2, 25, w0)   \
  PPMS_DW_IN(26) PPMS_DW_FMA(2, 26, w1)                          \
  PPMS_DW_IN(25) PPMS_DW_FMA(2, 25, w2) PPMS_DW_FMA(3, 25, w0)   \
  PPMS_DW_IN(26) PPMS_DW_FMA(3, 26, w1)                          \
  PPMS_DW_IN(25) PPMS_DW_FMA(3, 25, w2) PPMS_DW_FMA(4, 25, w0)   \
  PPMS_DW_IN(26) PPMS_DW_FMA(4, 26, w1)                          \
  PPMS_DW_IN(25) PPMS_DW_FMA(4, 25, w2) PPMS_DW_FMA(5, 25, w0)   \
  PPMS_DW_IN(26) PPMS_DW_FMA(5, 26, w1)                          \
  PPMS_DW_IN(25) PPMS_DW_FMA(5, 25, w2) PPMS_DW_FMA(6, 25, w0)   \
  PPMS_DW_IN(26) PPMS_DW_FMA(6, 26, w1)                          \
  PPMS_DW_IN(25) PPMS_DW_FMA(6, 25, w2) PPMS_DW_FMA(7, 25, w0)   \
  PPMS_DW_IN(26) PPMS_DW_FMA(7, 26, w1)                          \
  PPMS_DW_IN(25) PPMS_DW_FMA(7, 25, w2) PPMS_DW_FMA(8, 25, w0)   \
  PPMS_DW_IN(26) PPMS_DW_FMA(8, 26, w1)                          \
  PPMS_DW_IN(25) PPMS_DW_FMA(8, 25, w2) PPMS_DW_FMA(9, 25, w0)   \
  PPMS_DW_IN(26) PPMS_DW_FMA(9, 26, w1)                          \
  PPMS_DW_IN(25) PPMS_DW_FMA(9, 25, w2) PPMS_DW_FMA(10, 25, w0)  \
  PPMS_DW_IN(26) PPMS_DW_FMA(10, 26, w1)                         \
  PPMS_DW_IN(25) PPMS_DW_FMA(10, 25, w2) PPMS_DW_FMA(11, 25, w0) \
  PPMS_DW_IN(26) PPMS_DW_FMA(11, 26, w1)                         \
  PPMS_DW_IN(25) PPMS_DW_FMA(11, 25, w2) PPMS_DW_FMA(12, 25, w0) \
  PPMS_DW_IN(26) PPMS_DW_FMA(12, 26, w1)                         \
  PPMS_DW_IN(25) PPMS_DW_FMA(12, 25, w2) PPMS_DW_FMA(13, 25, w0) \
  PPMS_DW_IN(26) PPMS_DW_FMA(13, 26, w1)                         \
  PPMS_DW_IN(25) PPMS_DW_FMA(13, 25, w2) PPMS_DW_FMA(14, 25, w0) \
  PPMS_DW_IN(26) PPMS_DW_FMA(14, 26, w1)                         \
  PPMS_DW_IN(25) PPMS_DW_FMA(14, 25, w2) PPMS_DW_FMA(15, 25, w0) \
  PPMS_DW_IN(26) PPMS_DW_FMA(15, 26, w1)                         \
  PPMS_DW_IN(25) PPMS_DW_FMA(15, 25, w2)
// kernel row ky of 5 (input row r<ky>, taps t<ky>), skipped when its input row is padding (null)
#define PPMS_DW5_ROW(ky, body)                                                                                  \
  "cbz %[r" #ky "], 2" #ky "f\n\t"                                                                             \
  "mov %[t], %[t" #ky "]\n\t"                                                                                  \
  "add %[p], %[r" #ky "], %[at]\n\t" PPMS_DW_TAP(16) PPMS_DW_TAP(17) PPMS_DW_TAP(18) PPMS_DW_TAP(19) PPMS_DW_TAP(20) \
  body "2" #ky ":\n\t"
#define PPMS_DW5_ROWS(body) \
  PPMS_DW5_ROW(0, body) PPMS_DW5_ROW(1, body) PPMS_DW5_ROW(2, body) PPMS_DW5_ROW(3, body) PPMS_DW5_ROW(4, body)
// kernel row ky of 3, its taps held in v(w0..w2) (v16-v24, loaded once by PPMS_DW3_TAPS)
#define PPMS_DW3_ROW(ky, body, w0, w1, w2) \
  "cbz %[r" #ky "], 2" #ky "f\n\tadd %[p], %[r" #ky "], %[at]\n\t" body(w0, w1, w2) "2" #ky ":\n\t"
#define PPMS_DW3_ROWS(body) \
  PPMS_DW3_ROW(0, body, 16, 17, 18) PPMS_DW3_ROW(1, body, 19, 20, 21) PPMS_DW3_ROW(2, body, 22, 23, 24)
#define PPMS_DW3_TAPS                                                                                            \
  "mov %[t], %[t0]\n\t" PPMS_DW_TAP(16) PPMS_DW_TAP(17) PPMS_DW_TAP(18) PPMS_DW_TAP(19) PPMS_DW_TAP(20)          \
      PPMS_DW_TAP(21) PPMS_DW_TAP(22) PPMS_DW_TAP(23) PPMS_DW_TAP(24)
#define PPMS_DW_ALL8(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)
#define PPMS_DW_ALL16(op) PPMS_DW_ALL8(op) op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define PPMS_DW_INIT(d) "mov v" #d ".16b, v31.16b\n\t"
#define PPMS_DW_STORE(d) "st1 {v" #d "." PPMS_DW_ARR "}, [%[y]], %[cb]\n\t"
#define PPMS_DW_MAX0(d) PPMS_NEON_RELU_ASM(PPMS_DW_ARR, d, 28)
#define PPMS_DW_MAX0_MIN6(d) PPMS_DW_MAX0(d) PPMS_NEON_MIN_ASM(PPMS_DW_ARR, d, 30)
#define PPMS_DW_HSWISH(d) PPMS_NEON_HSWISH_ASM(PPMS_DW_ARR, d, 26, 28, 29, 30, 27)
#define PPMS_DW_NONE(d)
// all blocks: the prologue (held taps), then per block each kernel row (rows), op (the activation) and the store on
// each of the block's accumulators (ALL). Constants: v28 0, v29 0.5, v30 cap (6 for relu6, 1 for hardswish), v27 1/6.
#define PPMS_DW_BLOCKS(prologue, body, ALL, op, cap)                                                             \
  asm volatile("ld1 {v31." PPMS_DW_ARR "}, [%[bias]]\n\tmovi v28." PPMS_DW_ARR ", #0\n\t"                        \
               "fmov v29." PPMS_DW_ARR ", #0.5\n\tfmov v30." PPMS_DW_ARR ", #" cap "\n\t"                        \
               "dup v27." PPMS_DW_ARR ", %w[sixth]\n\t" prologue                                                 \
               "1:\n\t" ALL(PPMS_DW_INIT) body ALL(op) ALL(PPMS_DW_STORE)                                        \
               "add %[at], %[at], %[step]\n\tsubs %[n], %[n], #1\n\tb.ne 1b\n\t"                                 \
               : [at] "+r"(at), [y] "+r"(y), [n] "+r"(n), [p] "=&r"(p), [t] "=&r"(t)                              \
               : [r0] "r"(rows[0]), [r1] "r"(rows[1]), [r2] "r"(rows[2]), [r3] "r"(rows[3]), [r4] "r"(rows[4]),   \
                 [t0] "r"(taps), [t1] "r"(tap_rows[1]), [t2] "r"(tap_rows[2]), [t3] "r"(tap_rows[3]),              \
                 [t4] "r"(tap_rows[4]), [bias] "r"(r.w->bias + c), [cb] "r"(cb), [step] "r"(B * S * cb),       \
                 [sixth] "r"(sixth)                                                      \
               : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", \
                 "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", \
                 "v27", "v28", "v29", "v30", "v31")
#define PPMS_DW_ACTIVATED(prologue, body, ALL)                                                  \
  if constexpr (A == Activation::none) PPMS_DW_BLOCKS(prologue, body, ALL, PPMS_DW_NONE, "6.0");       \
  if constexpr (A == Activation::relu) PPMS_DW_BLOCKS(prologue, body, ALL, PPMS_DW_MAX0, "6.0");       \
  if constexpr (A == Activation::relu6) PPMS_DW_BLOCKS(prologue, body, ALL, PPMS_DW_MAX0_MIN6, "6.0"); \
  if constexpr (A == Activation::hardswish) PPMS_DW_BLOCKS(prologue, body, ALL, PPMS_DW_HSWISH, "1.0");

// Interior output columns from wo in blocks of B (every row padded or interior: no column check), the vector of
// channels from c. Returns the first column left.
template <class T, Activation A, int K, int S>
int64_t neon_blocks(const RowT<T>& r, int64_t wo, int64_t hi, int64_t c) {
  static_assert(K == 3 || K == 5, "assembly for 3 x 3 and 5 x 5 taps");
  constexpr int B = 16;  // a block reads (B - 1) * S + K input columns: 20 / 35 (5 x 5), 18 / 33 (3 x 3)
  const int64_t C = r.w->channels, cb = int64_t(sizeof(T)) * C, blocks = (hi - wo) / B;
  if (blocks <= 0) return wo;
  const uint32_t sixth = sizeof(T) == 4 ? 0x3e2aaaabu : 0x3155u;  // 1 / 6 rounded to T, its bits
  const char* rows[5] = {};
  for (int ky = 0; ky < K; ++ky)  // each row from the first input column the block reads (wo * S - K / 2)
    rows[ky] = r.rows[ky] ? reinterpret_cast<const char*>(r.rows[ky] + c - K / 2 * C) : nullptr;
  const char* taps = reinterpret_cast<const char*>(r.w->taps + c);
  const char* tap_rows[5] = {};  // 5 x 5: where each kernel row's taps start
  for (int ky = 0; K == 5 && ky < 5; ++ky) tap_rows[ky] = taps + 5 * ky * cb;
  int64_t at = wo * S * cb, n = blocks;  // at: the block's first input column, in bytes
  char* y = reinterpret_cast<char*>(r.y + wo * C + c);
  const char *p, *t;
  if constexpr (K == 5 && S == 1) {
    PPMS_DW_ACTIVATED("", PPMS_DW5_ROWS(PPMS_DW_S1), PPMS_DW_ALL16)
  } else if constexpr (K == 5) {
    PPMS_DW_ACTIVATED("", PPMS_DW5_ROWS(PPMS_DW_S2), PPMS_DW_ALL16)
  } else if constexpr (K == 3 && S == 1) {
    PPMS_DW_ACTIVATED(PPMS_DW3_TAPS, PPMS_DW3_ROWS(PPMS_DW3_S1), PPMS_DW_ALL16)
  } else if constexpr (K == 3) {
    PPMS_DW_ACTIVATED(PPMS_DW3_TAPS, PPMS_DW3_ROWS(PPMS_DW3_S2), PPMS_DW_ALL16)
  }
  return wo + B * blocks;
}
#undef PPMS_DW_ACTIVATED
#undef PPMS_DW_NONE
#undef PPMS_DW_ALL16
#undef PPMS_DW_ALL8
#undef PPMS_DW_S1
#undef PPMS_DW_S2
#undef PPMS_DW_BLOCKS
#undef PPMS_DW_HSWISH
#undef PPMS_DW_MAX0_MIN6
#undef PPMS_DW_MAX0
#undef PPMS_DW_STORE
#undef PPMS_DW_IN
#undef PPMS_DW_ARRIT
#undef PPMS_DW3_TAPS
#undef PPMS_DW3_ROWS
#undef PPMS_DW3_ROW
#undef PPMS_DW5_ROWS
#undef PPMS_DW5_ROW
#undef PPMS_DW3_S1
#undef PPMS_DW3_S2
#undef PPMS_DW_TAP
#undef PPMS_DW_FMA
#undef PPMS_DW_IN
#undef PPMS_DW_ARR
}  // namespace
}  // namespace dw
}  // namespace ppms
