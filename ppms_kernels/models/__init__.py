"""PP-MobileSeg: the network (layers, StrideFormer, AAM, head), inference fusion and ``optimize()``, the official
weights (safe ``.pdparams`` reader, conversion, checked loading, download by name), and exports (torch.export, ONNX)."""
from .export import MAX_INPUT_SIZE, PRECISIONS, export_onnx, export_ppms, export_program, read_ppms
from .fuse import FusedSeaAttention, pack
from .hub import Weights, download_weights, pp_mobileseg
from .optimize import optimize
from .pp_mobileseg import INPUT_MEAN, INPUT_STD, MIN_INPUT_SIZE, UPSAMPLE_MODES, VARIANTS, PPMobileSeg, PPMobileSegHead
from .strideformer import AAM, AAMSx8, MLP, SeaAttention, StrideFormer
from .weights import WeightFileError, convert, load_model, load_weights, read_pdparams

__all__ = ["pp_mobileseg", "PPMobileSeg", "PPMobileSegHead", "StrideFormer", "SeaAttention", "MLP", "AAM",
           "AAMSx8", "VARIANTS", "UPSAMPLE_MODES", "MIN_INPUT_SIZE", "FusedSeaAttention", "pack", "optimize",
           "WeightFileError", "convert", "load_model", "load_weights", "read_pdparams", "Weights", "download_weights",
           "export_program", "export_onnx", "MAX_INPUT_SIZE", "PRECISIONS"]
