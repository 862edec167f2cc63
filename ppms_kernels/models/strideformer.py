"""StrideFormer backbone: MobileNetV3 stages, strided SEA attention stages, and the AAM fusion module."""
import torch
from torch import nn
import torch.nn.functional as F

from ..ops import axial_attention, reference
from .layers import ConvBN, ConvBNAct, StackedMV3Block, resize


class SqueezeAxialPositionalEmbedding(nn.Module):
    def __init__(self, dim, length=16):
        super().__init__()
        self.pos_embed = nn.Parameter(torch.randn(1, dim, length))


class SeaAttention(nn.Module):
    """Strided SEA attention (``Sea_Attention`` with ``stride_attention=True``).

    ``use_kernel``: the axial attention runs as ``ppms::axial_attention`` (differentiable) for float32/float64;
    with ``use_kernel=False`` the module is plain PyTorch, the reference block the fused op is tested against.
    """

    def __init__(self, dim, key_dim, num_heads, attn_ratio=2, use_kernel=True):
        super().__init__()
        self.use_kernel = use_kernel
        self.num_heads = num_heads
        self.key_dim = key_dim
        nh_kd = key_dim * num_heads
        dh = attn_ratio * key_dim * num_heads
        self.to_q = ConvBN(dim, nh_kd)
        self.to_k = ConvBN(dim, nh_kd)
        self.to_v = ConvBN(dim, dh)
        self.stride_conv = nn.Sequential(nn.Conv2d(dim, dim, 3, 2, 1, groups=dim), nn.BatchNorm2d(dim))
        self.proj = nn.Sequential(nn.ReLU6(), ConvBN(dh, dim))
        self.proj_encode_row = nn.Sequential(nn.ReLU6(), ConvBN(dh, dh))
        self.proj_encode_column = nn.Sequential(nn.ReLU6(), ConvBN(dh, dh))
        self.pos_emb_rowq = SqueezeAxialPositionalEmbedding(nh_kd)
        self.pos_emb_rowk = SqueezeAxialPositionalEmbedding(nh_kd)
        self.pos_emb_columnq = SqueezeAxialPositionalEmbedding(nh_kd)
        self.pos_emb_columnk = SqueezeAxialPositionalEmbedding(nh_kd)
        self.dwconv = ConvBN(2 * dh, 2 * dh, 3, groups=2 * dh)
        self.pwconv = ConvBN(2 * dh, dim)
        # Paddle's bn_weight_init=0: the attention branch starts as 0.5 * detail.
        for seq in (self.proj, self.proj_encode_row, self.proj_encode_column):
            nn.init.zeros_(seq[1].bn.weight)

    def forward(self, x):
        size = x.shape[-2:]
        x = self.stride_conv(x)
        q, k, v = self.to_q(x), self.to_k(x), self.to_v(x)
        detail = self.pwconv(F.relu6(self.dwconv(torch.cat([q, k, v], 1))))
        fast = self.use_kernel and q.dtype in (torch.float32, torch.float64)
        row, col = (axial_attention if fast else reference.axial_attention)(
            q, k, v,
            self.pos_emb_rowq.pos_embed, self.pos_emb_rowk.pos_embed,
            self.pos_emb_columnq.pos_embed, self.pos_emb_columnk.pos_embed,
            self.num_heads)
        xx = v + (self.proj_encode_row(row) + self.proj_encode_column(col))
        xx = F.hardsigmoid(self.proj(xx)) * detail
        return resize(xx, size)


class MLP(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = ConvBN(dim, hidden)
        self.dwconv = nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden)
        self.fc2 = ConvBN(hidden, dim)

    def forward(self, x):
        return self.fc2(F.relu6(self.dwconv(self.fc1(x))))


class DropPath(nn.Module):
    """Per-sample stochastic depth (training only)."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x / keep * mask


class Block(nn.Module):
    def __init__(self, dim, key_dim, num_heads, mlp_ratio, drop_path):
        super().__init__()
        self.attn = SeaAttention(dim, key_dim, num_heads)
        self.mlp = MLP(dim, dim * mlp_ratio)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x):
        x = x + self.drop_path(self.attn(x))
        return x + self.drop_path(self.mlp(x))


class BasicLayer(nn.Module):
    def __init__(self, depth, dim, key_dim, num_heads, mlp_ratio, drop_path_rate):
        super().__init__()
        # The stochastic-depth schedule restarts in every stage, as in PaddleSeg.
        rates = torch.linspace(0, drop_path_rate, depth).tolist()
        self.transformer_blocks = nn.ModuleList(
            Block(dim, key_dim, num_heads, mlp_ratio, r) for r in rates)

    def forward(self, x):
        for b in self.transformer_blocks:
            x = b(x)
        return x


class AAM(nn.Module):
    """Tiny's fusion module (``InjectionMultiSumallmultiallsum``), output at 1/16, with Sigmoid gates."""

    def __init__(self, in_channels, out_channels=256):
        super().__init__()
        self.embedding_list = nn.ModuleList(ConvBNAct(c, out_channels) for c in in_channels)
        self.act_embedding_list = nn.ModuleList(ConvBNAct(c, out_channels) for c in in_channels)

    def forward(self, x8, x16, x32):
        E, A = self.embedding_list, self.act_embedding_list
        l1 = F.interpolate(x8, scale_factor=0.5, mode="bilinear", align_corners=False)
        size = l1.shape[-2:]
        l1a, l1 = torch.sigmoid(A[0](l1)), E[0](l1)
        l2 = resize(x16, size)
        l2a, l2 = torch.sigmoid(A[1](l2)), E[1](l2)
        ha = resize(torch.sigmoid(A[2](x32)), size)
        h = resize(E[2](x32), size)
        return l1a * l2a * ha * (l1 + l2) + h


class AAMSx8(nn.Module):
    """Base's fusion module (``InjectionMultiSumallmultiallsumSimpx8``), output at 1/8, with Sigmoid gates."""

    def __init__(self, in_channels, out_channels=256):
        super().__init__()
        c8, c16, c32 = in_channels
        self.embedding_list = nn.ModuleList([ConvBNAct(c8, out_channels), ConvBNAct(c32, out_channels)])
        self.act_embedding_list = nn.ModuleList([ConvBNAct(c16, out_channels), ConvBNAct(c32, out_channels)])

    def forward(self, x8, x16, x32):
        E, A = self.embedding_list, self.act_embedding_list
        l1 = E[0](x8)
        size = l1.shape[-2:]
        l2a = torch.sigmoid(A[0](resize(x16, size)))
        ha = resize(torch.sigmoid(A[1](x32)), size)
        h = resize(E[1](x32), size)
        return l2a * ha * l1 + h


class StrideFormer(nn.Module):
    def __init__(self, cfgs, channels, embed_dims, depths, num_heads, inj_type,
                 key_dims=(16, 24), mlp_ratios=(2, 4), drop_path_rate=0.1, out_channels=256):
        super().__init__()
        for i, cfg in enumerate(cfgs):
            setattr(self, f"smb{i + 1}", StackedMV3Block(cfg, channels[i], stem=i == 0))
        for i in range(2):
            setattr(self, f"trans{i + 1}", BasicLayer(
                depths[i], embed_dims[i], key_dims[i], num_heads, mlp_ratios[i], drop_path_rate))
        feats = [cfgs[1][-1][2], embed_dims[0], embed_dims[1]]
        self.inj_module = {"AAM": AAM, "AAMSx8": AAMSx8}[inj_type](feats, out_channels)
        self.out_channels = out_channels

    def forward(self, x):
        x8 = self.smb2(self.smb1(x))
        x16 = self.trans1(self.smb3(x8))
        x32 = self.trans2(self.smb4(x16))
        return self.inj_module(x8, x16, x32)
