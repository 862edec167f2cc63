"""PP-MobileSeg network (importable as ``ppms_kernels.models``)."""
from .pp_mobileseg import MIN_INPUT_SIZE, UPSAMPLE_MODES, VARIANTS, PPMobileSeg, PPMobileSegHead, pp_mobileseg
from .strideformer import AAM, AAMSx8, MLP, SeaAttention, StrideFormer

__all__ = ["pp_mobileseg", "PPMobileSeg", "PPMobileSegHead", "StrideFormer", "SeaAttention", "MLP", "AAM",
           "AAMSx8", "VARIANTS", "UPSAMPLE_MODES", "MIN_INPUT_SIZE"]
