// The k loop of a 4 x 16 block of a matrix product in aarch64 assembly, as string pieces for an asm statement, shared
// by conv1x1's and gemm's NEON kernels. A 4-register ld1 has no offset form, only the post-increment, which GCC does
// not use for a run of them (it computes an address per load: 79 instructions per 64 FMAs against 74 for 4 k steps
// here). Eight k steps per iteration, each row's eight inputs by one ldp: 142 instructions per 128 FMAs.
//
// Registers: the accumulators v0-v15 (row r, columns 4c..4c+3 in v(4r + c)); each row's next eight inputs in v20-v23
// (k steps 0-3) and v16-v19 (4-7) (operands x0-x3, stepped past what was read); B's rows alternately in v24-v27 and
// v28-v31, so that one loads while the other is in use, each by LOAD_B("24", "25", "26", "27"), which steps operand
// p. Operand n: the count of eight-k steps, kr: the k steps left after them (K % 8; zero on exit). After the loop
// v16-v31 are free for an epilogue. PPMS_NEON_K_LOOP_WITH takes the k step macros too (STEP(L, w0, w1, w2, w3) and
// STEP_HI), for a block of other columns on the same registers (conv1x1's 4 x 8).
#pragma once

#define PPMS_NEON_FMLA4(d0, d1, d2, d3, w0, w1, w2, w3, a, L) \
  "fmla v" #d0 ".4s, v" #w0 ".4s, v" #a ".s[" #L "]\n\t"      \
  "fmla v" #d1 ".4s, v" #w1 ".4s, v" #a ".s[" #L "]\n\t"      \
  "fmla v" #d2 ".4s, v" #w2 ".4s, v" #a ".s[" #L "]\n\t"      \
  "fmla v" #d3 ".4s, v" #w3 ".4s, v" #a ".s[" #L "]\n\t"
// k step L of the four held, the rows' inputs in v(a0..a3): B's row in v(w0..w3) times lane L of each row's inputs
#define PPMS_NEON_STEP_A(a0, a1, a2, a3, L, w0, w1, w2, w3)                                          \
  PPMS_NEON_FMLA4(0, 1, 2, 3, w0, w1, w2, w3, a0, L) PPMS_NEON_FMLA4(4, 5, 6, 7, w0, w1, w2, w3, a1, L) \
      PPMS_NEON_FMLA4(8, 9, 10, 11, w0, w1, w2, w3, a2, L)                                         \
          PPMS_NEON_FMLA4(12, 13, 14, 15, w0, w1, w2, w3, a3, L)
#define PPMS_NEON_STEP(L, w0, w1, w2, w3) PPMS_NEON_STEP_A(20, 21, 22, 23, L, w0, w1, w2, w3)
#define PPMS_NEON_STEP_HI(L, w0, w1, w2, w3) PPMS_NEON_STEP_A(16, 17, 18, 19, L, w0, w1, w2, w3)
#define PPMS_NEON_K_LOOP_WITH(LOAD_B, STEP, STEP_HI)                             \
  "cbz %[n], 2f\n\t"                                                             \
  "1:\n\t"                                                                       \
  "ldp q20, q16, [%[x0]], #32\n\t"                                               \
  "ldp q21, q17, [%[x1]], #32\n\t"                                               \
  "ldp q22, q18, [%[x2]], #32\n\t"                                               \
  "ldp q23, q19, [%[x3]], #32\n\t"                                               \
  LOAD_B("24", "25", "26", "27") LOAD_B("28", "29", "30", "31")                  \
  STEP(0, 24, 25, 26, 27) LOAD_B("24", "25", "26", "27")               \
  STEP(1, 28, 29, 30, 31) LOAD_B("28", "29", "30", "31")               \
  STEP(2, 24, 25, 26, 27) LOAD_B("24", "25", "26", "27")               \
  STEP(3, 28, 29, 30, 31) LOAD_B("28", "29", "30", "31")               \
  STEP_HI(0, 24, 25, 26, 27) LOAD_B("24", "25", "26", "27")            \
  STEP_HI(1, 28, 29, 30, 31) LOAD_B("28", "29", "30", "31")            \
  STEP_HI(2, 24, 25, 26, 27) STEP_HI(3, 28, 29, 30, 31)      \
  "subs %[n], %[n], #1\n\t"                                                      \
  "b.ne 1b\n\t"                                                                  \
  "2:\n\t"                                                                       \
  "cbz %[kr], 3f\n\t" /* K % 8 == 0 (every layer of the network): one branch */  \
  "tbz %[kr], #2, 5f\n\t"                                                        \
  "ldr q20, [%[x0]], #16\n\t"                                                    \
  "ldr q21, [%[x1]], #16\n\t"                                                    \
  "ldr q22, [%[x2]], #16\n\t"                                                    \
  "ldr q23, [%[x3]], #16\n\t"                                                    \
  LOAD_B("24", "25", "26", "27") LOAD_B("28", "29", "30", "31")                  \
  STEP(0, 24, 25, 26, 27) LOAD_B("24", "25", "26", "27")               \
  STEP(1, 28, 29, 30, 31) LOAD_B("28", "29", "30", "31")               \
  STEP(2, 24, 25, 26, 27) STEP(3, 28, 29, 30, 31)            \
  "5:\n\t"                                                                       \
  "ands %[kr], %[kr], #3\n\t"                                                    \
  "b.eq 3f\n\t"                                                                  \
  "4:\n\t"                                                                       \
  "ldr s20, [%[x0]], #4\n\t"                                                     \
  "ldr s21, [%[x1]], #4\n\t"                                                     \
  "ldr s22, [%[x2]], #4\n\t"                                                     \
  "ldr s23, [%[x3]], #4\n\t"                                                     \
  LOAD_B("24", "25", "26", "27") STEP(0, 24, 25, 26, 27)               \
  "subs %[kr], %[kr], #1\n\t"                                                    \
  "b.ne 4b\n\t"                                                                  \
  "3:\n\t"
#define PPMS_NEON_K_LOOP(LOAD_B) PPMS_NEON_K_LOOP_WITH(LOAD_B, PPMS_NEON_STEP, PPMS_NEON_STEP_HI)
#define PPMS_NEON_CLOBBERS                                                                                     \
  "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", \
      "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29",    \
      "v30", "v31"
