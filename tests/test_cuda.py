"""The ops and the model on a CUDA GPU (their Triton kernels compiled for real), against the CPU references.
Skipped without a GPU; the Triton kernels' logic is also tested in the interpreter by ``test_*_triton.py``."""
import pytest
import torch
import torch.nn.functional as F

from ppms_kernels import optimize, valid_interpolate
from ppms_kernels.models import pp_mobileseg
from ppms_kernels.ops import axial_attention
from ppms_kernels.reference import vim
from ppms_kernels.sea import pack
from ppms_kernels.testing import assert_labels_match, realistic_logits

from test_sea_attention import block, randomise, rel_err

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(autouse=True)
def _no_tf32():
    # cuDNN convolves float32 in TF32 by default: the references would drift by ~1e-3 and flip labels.
    old = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old


@pytest.mark.parametrize("mode", ["exact", "paper"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("B,C,h,w,H,W", [(1, 150, 64, 64, 512, 512), (3, 19, 17, 9, 101, 67), (2, 7, 5, 5, 5, 5),
                                         (1, 1, 1, 1, 3, 2), (2, 40, 12, 12, 6, 6)])
def test_valid_interpolate_matches_cpu(B, C, h, w, H, W, dtype, mode):
    x = realistic_logits(B, C, h, w, K=min(C, 12), seed=C + h, dtype=dtype)
    out = valid_interpolate(x.cuda(), (H, W), mode)
    assert out.device.type == "cuda" and out.dtype == torch.int64
    up = F.interpolate(x.float(), (H, W), mode="bilinear", align_corners=False)
    ref = up.argmax(1) if mode == "exact" else vim(x.float(), (H, W))
    assert_labels_match(out.cpu(), ref, up)
    assert torch.equal(out.cpu(), valid_interpolate(x, (H, W), mode))  # the CPU kernel: same labels


def test_valid_interpolate_nan_inf_like_cpu():
    x = torch.randn(2, 6, 5, 4)
    x[0, 2, 1, 1] = float("nan")
    x[1, 3, 2, 2] = float("inf")
    x[1, :, 0, 0] = float("-inf")
    for mode in ("exact", "paper"):
        assert torch.equal(valid_interpolate(x.cuda(), (11, 9), mode).cpu(), valid_interpolate(x, (11, 9), mode))


@pytest.mark.parametrize("dim,kd,heads,H,W,batch", [(128, 16, 8, 32, 32, 1), (192, 24, 8, 16, 16, 2),
                                                    (64, 16, 4, 33, 20, 3), (16, 4, 2, 1, 2, 1)])
def test_sea_attention_matches_reference_block(dim, kd, heads, H, W, batch):
    m = block(dim, kd, heads, seed=dim + H)
    x = torch.randn(batch, dim, H, W)
    with torch.no_grad():
        ref = m(x)
    out = torch.ops.ppms.sea_attention(x.cuda(), [t.cuda() for t in pack(m)], heads, kd)
    assert out.device.type == "cuda"
    assert rel_err(out.cpu(), ref) <= 1e-5


def test_opcheck_on_cuda():
    x = realistic_logits(2, 30, 9, 7, 5).cuda()
    torch.library.opcheck(torch.ops.ppms.valid_interpolate.default, (x, [33, 20], "exact", None))
    torch.library.opcheck(torch.ops.ppms.sea_attention.default,
                          (torch.randn(2, 32, 9, 12, device="cuda"), [t.cuda() for t in pack(block(32, 8, 2))], 2, 8))
    q, k = torch.randn(2, 8, 5, 7, device="cuda"), torch.randn(2, 8, 5, 7, device="cuda")
    v = torch.randn(2, 16, 5, 7, device="cuda")
    pos = [torch.randn(1, 8, 16, device="cuda") for _ in range(4)]
    torch.library.opcheck(torch.ops.ppms.axial_attention.default,
                          (*[t.requires_grad_() for t in (q, k, v, *pos)], 2))


def test_axial_attention_gradcheck_on_cuda():
    g = torch.Generator().manual_seed(1)
    q, k = (torch.randn(2, 4, 6, 5, generator=g, dtype=torch.float64).cuda().requires_grad_() for _ in range(2))
    v = torch.randn(2, 8, 6, 5, generator=g, dtype=torch.float64).cuda().requires_grad_()
    pos = [torch.randn(1, 4, 16, generator=g, dtype=torch.float64).cuda().requires_grad_() for _ in range(4)]
    assert torch.autograd.gradcheck(lambda *a: axial_attention(*a, 2), (q, k, v, *pos))


@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_optimized_model_on_cuda_matches_cpu_reference(variant):
    model = randomise(pp_mobileseg(variant), seed=6).eval()
    x = torch.randn(2, 3, 256, 200)
    with torch.no_grad():
        logits = model.logits(x)
        up = F.interpolate(logits, x.shape[-2:], mode="bilinear", align_corners=False)
        fast = optimize(model.cuda())
        labels = fast(x.cuda())
        assert rel_err(fast.logits(x.cuda()).cpu(), logits) <= 1e-4
    assert_labels_match(labels.cpu(), up.argmax(1), up)


def test_compiled_model_on_cuda():
    model = optimize(randomise(pp_mobileseg("tiny"), seed=7).cuda())
    x = torch.randn(1, 3, 128, 160, device="cuda")
    with torch.no_grad():
        logits = model.logits(x)
        compiled = torch.compile(model, fullgraph=True)(x)
    up = F.interpolate(logits, x.shape[-2:], mode="bilinear", align_corners=False)
    assert_labels_match(compiled, up.argmax(1), up)  # inductor may fuse the pointwise ops: near-ties can flip
