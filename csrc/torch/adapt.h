// What every adapter needs: the core's Status as a torch exception, at::parallel_for or the core's pool as the core's
// parallel loop, and ATen's GEMM as a core GEMM.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <string>

#include "ppms/gemm.h"
#include "ppms/parallel.h"
#include "ppms/status.h"
#include "ppms/tensor.h"

namespace ppms {

// `op: message` as a ValueError (bad input) or NotImplementedError (a kernel this CPU lacks).
inline void throw_if_error(const Status& s, const char* op) {
  if (s.ok()) return;
  if (s.code() == Code::unsupported) TORCH_CHECK_NOT_IMPLEMENTED(false, std::string(op) + ": " + s.message());
  TORCH_CHECK_VALUE(false, std::string(op) + ": " + s.message());
}

inline Parallel aten_parallel() {
  return Parallel{[](void*, int64_t n, int64_t grain, Parallel::Task task, void* ctx) {
                    at::parallel_for(0, n, grain, [&](int64_t b, int64_t e) { task(ctx, b, e); });
                  },
                  nullptr, at::get_num_threads()};
}

// The core's own ThreadPool with torch.get_num_threads() threads, for the whole network (ppms::network), the input
// step before it (normalise) and the label step after it (upsample_argmax), rather than at::parallel_for. The network runs 50-80 parallel loops;
// OpenMP's static split makes each wait for its slowest thread, so with one core busy elsewhere the call took 10x its
// quiet time, while the pool's dynamic sharing lets the running threads finish the work (measured: 1.8x). The label
// step shares the pool because OpenMP's workers spin for a while after each region, on the cores the next network
// call needs (3.5% of a tiny network's CPU time went to that spinning). The network's GEMMs are the core's too:
// ATen's, called from the pool's threads, would start OpenMP teams of their own.
Parallel core_parallel();

// ATen's GEMM (MKL/oneDNN sgemm on x86, which beats the core's kernel there). Called inside parallel regions, so it
// runs single-threaded.
inline void aten_gemm(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C) {
  const auto opt = at::TensorOptions().dtype(at::kFloat);
  auto c = at::from_blob(C, {M, N}, opt);
  const auto a = at::from_blob(const_cast<float*>(A), {M, K}, opt);
  const auto b = at::from_blob(const_cast<float*>(B), {K, N}, opt);
  if (bias)
    at::addmm_out(c, at::from_blob(const_cast<float*>(bias), {M, 1}, opt), a, b);
  else
    at::mm_out(c, a, b);
}

// The shape of t, without its data (any device, meta included).
inline View shape_view(const at::Tensor& t) {
  View v;
  v.rank = static_cast<int>(std::min<int64_t>(t.dim(), View::kMaxRank));
  for (int i = 0; i < v.rank; ++i) v.dims[i] = t.size(i);
  return v;
}

inline View view(const at::Tensor& t) {
  View v = shape_view(t);
  v.data = t.const_data_ptr<float>();
  return v;
}

}  // namespace ppms
