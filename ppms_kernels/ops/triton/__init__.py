"""Triton kernels: the CUDA implementations of the ``torch.ops.ppms`` ops, one op per file.

On a machine without a GPU they run in Triton's interpreter (``TRITON_INTERPRET=1`` set before importing
triton), which is how the tests check them.
"""
