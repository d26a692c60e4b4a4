"""Causal flash attention with packed-sequence segments: Triton forward and backward (the PyTorch reference is
`kernels.reference.flash_attention_reference`).

Algorithm: FlashAttention-2 (Dao, 2023, arXiv:2307.08691), structured like Triton's fused-attention tutorial
(python/tutorials/06-fused-attention.py). The forward walks key blocks with an online softmax and stores only
O and the row log-sum-exp; the backward recomputes the probabilities block by block from the saved LSE, so no
T x T matrix is ever held in memory. Notation, per (batch, head), with s = sm_scale:

    S = s * Q K^T            P = softmax(S) over the visible keys      O = P V
    LSE_i = log sum_j exp(S_ij)                 P_ij = exp(S_ij - LSE_i)
    dV = P^T dO              dP = dO V^T        Delta_i = sum_d dO_id O_id  (= sum_j P_ij dP_ij)
    dS = P * (dP - Delta)    dQ = s * dS K      dK = s * dS^T Q

The kernels work in base 2 (exp2 is the native instruction): scores are scaled by s * log2(e) and the saved
LSE is log2-based. Every accumulation is fp32 whatever the input dtype.

Segments (packed traces): `segment_ids` (B, T) confines each query to keys of its own segment (and, causal,
not later than itself). Precondition: every segment id occupies ONE contiguous run of positions in its row
(the packing writes segments back to back; nondecreasing ids satisfy it). It is checked with one
O(B*T log T) reduction and a host sync, once per segment_ids tensor (the model reuses one tensor for all its
layers; skipped under torch.compile) and a ValueError names it. Given the precondition, the keys a
query block can see lie in [start of its first query's segment, end of its last query's segment), so each
program loops only over the key blocks of that range: fully masked blocks are never loaded or computed. The
same holds for the query-block range of a key block in the dK/dV kernel. Without segments, the blocks
that need no mask at all (strictly below the diagonal, inside T) run a mask-free loop, as in the tutorial.

Rows with no visible key cannot occur in self-attention (a token always sees itself), but the kernels
guard them anyway: such a row gets output 0, LSE +inf and zero gradients, where softmax would give NaN.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from .utils import check_attention_inputs, check_same_device_dtype, check_triton_device, contiguous, is_interpreter

SUPPORTED_HEAD_DIMS = (32, 64, 128)

_LOG2E = 1.4426950408889634  # 1 / ln(2): exp(x) = exp2(x * log2(e))

# The interpreter runs every block op in numpy, one program at a time, so its cost is per block visited:
# fixed blocks, small enough for several per row at T = 77 or 130 (ragged ends, diagonal, unmasked middle
# all exercised) and unequal, so that code mixing BLOCK_M and BLOCK_N is exercised too.
_INTERPRETER_BLOCK_M = 32
_INTERPRETER_BLOCK_N = 16


# --------------------------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------------------------


@triton.jit
def _key_range(SEG_START, SEG_END, b, first_q, T, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
               CAUSAL: tl.constexpr, HAS_SEG: tl.constexpr):
    # Keys [lo, hi) that some query of the block [first_q, first_q + BLOCK_M) can see; lo is aligned to
    # BLOCK_N. Causal: nothing after the last query. Segments: nothing before the first query's segment
    # start, nothing after the last query's segment end. Key blocks outside are skipped, never loaded.
    last_q = tl.minimum(first_q + BLOCK_M, T) - 1
    lo = 0
    hi = T
    if CAUSAL:
        hi = last_q + 1
    if HAS_SEG:
        lo = (tl.load(SEG_START + b * T + first_q) // BLOCK_N) * BLOCK_N
        if not CAUSAL:
            hi = tl.load(SEG_END + b * T + last_q)
    return lo, hi


@triton.jit
def _query_range(SEG_START, SEG_END, b, first_k, T, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                 CAUSAL: tl.constexpr, HAS_SEG: tl.constexpr):
    # Queries [lo, hi) that can see some key of the block [first_k, first_k + BLOCK_N); lo aligned to BLOCK_M.
    last_k = tl.minimum(first_k + BLOCK_N, T) - 1
    lo = 0
    hi = T
    if CAUSAL:
        lo = (first_k // BLOCK_M) * BLOCK_M
    if HAS_SEG:
        hi = tl.load(SEG_END + b * T + last_k)
        if not CAUSAL:
            lo = (tl.load(SEG_START + b * T + first_k) // BLOCK_M) * BLOCK_M
    return lo, hi


@triton.jit
def _visible(q_pos, k_pos, SEG, b, T, CAUSAL: tl.constexpr, HAS_SEG: tl.constexpr):
    # Mask of visible (query, key) pairs; q_pos and k_pos broadcast against each other, e.g. (M, 1) and (1, N).
    visible = (q_pos < T) & (k_pos < T)
    if CAUSAL:
        visible = visible & (q_pos >= k_pos)
    if HAS_SEG:
        seg_q = tl.load(SEG + b * T + q_pos, mask=q_pos < T, other=-1)
        seg_k = tl.load(SEG + b * T + k_pos, mask=k_pos < T, other=-2)
        visible = visible & (seg_q == seg_k)
    return visible


@triton.jit
def _unmasked_key_end(lo, first_q, T, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr, HAS_SEG: tl.constexpr):
    # Keys [lo, mid) need no mask for the query block starting at first_q: all < T and, causal, none after
    # the first query. Only without segments: packed segments (tens of tokens) rarely fill a whole block
    # pair, so with them every visited block is masked.
    mid = lo
    if not HAS_SEG:
        if CAUSAL:
            mid = ((first_q + 1) // BLOCK_N) * BLOCK_N
        else:
            mid = (T // BLOCK_N) * BLOCK_N
    return mid


@triton.jit
def _unmasked_query_range(lo, hi, first_k, T, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                          CAUSAL: tl.constexpr, HAS_SEG: tl.constexpr):
    # Queries [a, b) inside [lo, hi) need no mask for the key block starting at first_k: all < T and,
    # causal, none before the last key. [lo, a) (the diagonal) and [b, hi) (the ragged end) stay masked.
    a = lo
    b = lo
    if not HAS_SEG:
        b = (T // BLOCK_M) * BLOCK_M
        if CAUSAL:
            a = tl.minimum(lo + tl.cdiv(first_k + BLOCK_N - 1 - lo, BLOCK_M) * BLOCK_M, hi)
            b = tl.maximum(b, a)
    return a, b


@triton.jit
def _attn_fwd_inner(
    acc, l_i, m_i, n_visited, q, K, V, SEG, base, b, offs_m, lo, hi, qk_scale, T,
    HEAD_DIM: tl.constexpr, BLOCK_N: tl.constexpr, MASKED: tl.constexpr, CAUSAL: tl.constexpr,
    HAS_SEG: tl.constexpr, DOT_PRECISION: tl.constexpr,
):
    # Online softmax over the key blocks [lo, hi), one block at a time:
    #   m_new = max(m, rowmax(S_blk));  alpha = exp2(m - m_new);  P_blk = exp2(S_blk - m_new)
    #   l = alpha * l + rowsum(P_blk);  acc = alpha * acc + P_blk V_blk
    offs_d = tl.arange(0, HEAD_DIM)
    for start_n in range(lo, hi, BLOCK_N):
        offs_n = start_n + tl.arange(0, BLOCK_N)
        k_ptrs = K + base + offs_n[None, :] * HEAD_DIM + offs_d[:, None]
        v_ptrs = V + base + offs_n[:, None] * HEAD_DIM + offs_d[None, :]
        if MASKED:
            kT = tl.load(k_ptrs, mask=offs_n[None, :] < T, other=0.0)
            v = tl.load(v_ptrs, mask=offs_n[:, None] < T, other=0.0)
        else:
            kT = tl.load(k_ptrs)
            v = tl.load(v_ptrs)
        s = tl.dot(q, kT, input_precision=DOT_PRECISION) * qk_scale
        if MASKED:
            s = tl.where(_visible(offs_m[:, None], offs_n[None, :], SEG, b, T, CAUSAL, HAS_SEG), s, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, 1))
        # A row whose keys so far are all masked keeps m = -inf; subtracting 0 instead avoids inf - inf = NaN.
        m_safe = tl.where(m_new == float("-inf"), 0.0, m_new)
        p = tl.math.exp2(s - m_safe[:, None])
        alpha = tl.math.exp2(m_i - m_safe)
        l_i = l_i * alpha + tl.sum(p, 1)
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v, input_precision=DOT_PRECISION)
        m_i = m_new
        n_visited += 1
    return acc, l_i, m_i, n_visited


@triton.jit
def _attn_fwd_kernel(
    Q, K, V, O, LSE,  # (B*H, T, D) contiguous; LSE (B*H, T) fp32, base 2
    SEG, SEG_START, SEG_END,  # (B, T) int32: run index, first position and end (exclusive) of each token's segment
    COUNTS,  # (B*H, cdiv(T, BLOCK_M)) int32 key blocks visited per program, written only when COUNT_BLOCKS
    qk_scale,  # sm_scale * log2(e)
    T, H,
    HEAD_DIM: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    CAUSAL: tl.constexpr,
    HAS_SEG: tl.constexpr,
    COUNT_BLOCKS: tl.constexpr,
    DOT_PRECISION: tl.constexpr,
):
    # One program = BLOCK_M queries of one (batch, head): the unmasked key blocks first, then the masked ones
    # (diagonal, ragged end, segment boundaries); finally O = acc / l and LSE = m + log2(l).
    start_m = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)
    b = bh // H
    base = bh * T * HEAD_DIM
    first_q = start_m * BLOCK_M
    offs_m = first_q + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, HEAD_DIM)
    valid_m = offs_m < T
    q = tl.load(Q + base + offs_m[:, None] * HEAD_DIM + offs_d[None, :], mask=valid_m[:, None], other=0.0)

    lo, hi = _key_range(SEG_START, SEG_END, b, first_q, T, BLOCK_M, BLOCK_N, CAUSAL, HAS_SEG)
    mid = _unmasked_key_end(lo, first_q, T, BLOCK_N, CAUSAL, HAS_SEG)
    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
    l_i = tl.zeros([BLOCK_M], tl.float32)
    acc = tl.zeros([BLOCK_M, HEAD_DIM], tl.float32)
    n_visited = tl.zeros([], tl.int32)
    acc, l_i, m_i, n_visited = _attn_fwd_inner(
        acc, l_i, m_i, n_visited, q, K, V, SEG, base, b, offs_m, lo, mid, qk_scale, T,
        HEAD_DIM, BLOCK_N, False, CAUSAL, HAS_SEG, DOT_PRECISION,
    )
    acc, l_i, m_i, n_visited = _attn_fwd_inner(
        acc, l_i, m_i, n_visited, q, K, V, SEG, base, b, offs_m, mid, hi, qk_scale, T,
        HEAD_DIM, BLOCK_N, True, CAUSAL, HAS_SEG, DOT_PRECISION,
    )

    empty = l_i == 0.0
    out = acc / tl.where(empty, 1.0, l_i)[:, None]
    lse = tl.where(empty, float("inf"), m_i + tl.math.log2(tl.where(empty, 1.0, l_i)))
    tl.store(O + base + offs_m[:, None] * HEAD_DIM + offs_d[None, :], out.to(O.dtype.element_ty), mask=valid_m[:, None])
    tl.store(LSE + bh * T + offs_m, lse, mask=valid_m)
    if COUNT_BLOCKS:
        tl.store(COUNTS + bh * tl.num_programs(0) + start_m, n_visited)


@triton.jit
def _attn_bwd_preprocess_kernel(
    O, DO, DELTA,  # O, dO (B*H, T, D); DELTA (B*H, T) fp32
    T,
    HEAD_DIM: tl.constexpr,
    BLOCK_M: tl.constexpr,
):
    # Delta_i = sum_d dO_id * O_id  (= sum_j P_ij dP_ij, the softmax-Jacobian correction term)
    start_m = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)
    offs_m = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, HEAD_DIM)
    valid_m = offs_m < T
    ptrs = bh * T * HEAD_DIM + offs_m[:, None] * HEAD_DIM + offs_d[None, :]
    o = tl.load(O + ptrs, mask=valid_m[:, None], other=0.0).to(tl.float32)
    do = tl.load(DO + ptrs, mask=valid_m[:, None], other=0.0).to(tl.float32)
    tl.store(DELTA + bh * T + offs_m, tl.sum(o * do, 1), mask=valid_m)


@triton.jit
def _attn_bwd_dkdv_inner(
    dk, dv, n_visited, k, v, Q, DO, LSE, DELTA, SEG, base, bh, b, offs_n, lo, hi, qk_scale, T,
    HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, MASKED: tl.constexpr, CAUSAL: tl.constexpr,
    HAS_SEG: tl.constexpr, DOT_PRECISION: tl.constexpr,
):
    # Over the query blocks [lo, hi), with transposed tiles (keys on rows):
    #   P^T = exp2(s K Q^T log2e - LSE)      dV += P^T dO
    #   dP^T = V dO^T    dS^T = P^T * (dP^T - Delta)      dK += dS^T Q
    offs_d = tl.arange(0, HEAD_DIM)
    for start_m in range(lo, hi, BLOCK_M):
        offs_m = start_m + tl.arange(0, BLOCK_M)
        q_ptrs = Q + base + offs_m[None, :] * HEAD_DIM + offs_d[:, None]
        do_ptrs = DO + base + offs_m[:, None] * HEAD_DIM + offs_d[None, :]
        if MASKED:
            valid_m = offs_m < T
            qT = tl.load(q_ptrs, mask=valid_m[None, :], other=0.0)
            do = tl.load(do_ptrs, mask=valid_m[:, None], other=0.0)
            lse = tl.load(LSE + bh * T + offs_m, mask=valid_m, other=float("inf"))
            delta = tl.load(DELTA + bh * T + offs_m, mask=valid_m, other=0.0)
        else:
            qT = tl.load(q_ptrs)
            do = tl.load(do_ptrs)
            lse = tl.load(LSE + bh * T + offs_m)
            delta = tl.load(DELTA + bh * T + offs_m)
        pT = tl.math.exp2(tl.dot(k, qT, input_precision=DOT_PRECISION) * qk_scale - lse[None, :])
        if MASKED:
            pT = tl.where(_visible(offs_m[None, :], offs_n[:, None], SEG, b, T, CAUSAL, HAS_SEG), pT, 0.0)
        dv += tl.dot(pT.to(do.dtype), do, input_precision=DOT_PRECISION)
        dpT = tl.dot(v, tl.trans(do), input_precision=DOT_PRECISION)
        dsT = pT * (dpT - delta[None, :])
        dk += tl.dot(dsT.to(qT.dtype), tl.trans(qT), input_precision=DOT_PRECISION)
        n_visited += 1
    return dk, dv, n_visited


@triton.jit
def _attn_bwd_dkdv_kernel(
    Q, K, V, DO, LSE, DELTA, DK, DV,
    SEG, SEG_START, SEG_END, COUNTS,
    qk_scale, sm_scale,
    T, H,
    HEAD_DIM: tl.constexpr,
    BLOCK_M: tl.constexpr,  # queries per inner step
    BLOCK_N: tl.constexpr,  # keys per program
    CAUSAL: tl.constexpr,
    HAS_SEG: tl.constexpr,
    COUNT_BLOCKS: tl.constexpr,
    DOT_PRECISION: tl.constexpr,
):
    # One program = BLOCK_N keys; it owns their dK, dV rows (no atomics) and walks the query blocks that can
    # see them: masked diagonal, unmasked middle, masked ragged end. Finally dK *= sm_scale.
    start_n = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)
    b = bh // H
    base = bh * T * HEAD_DIM
    first_k = start_n * BLOCK_N
    offs_n = first_k + tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_DIM)
    valid_n = offs_n < T
    k = tl.load(K + base + offs_n[:, None] * HEAD_DIM + offs_d[None, :], mask=valid_n[:, None], other=0.0)
    v = tl.load(V + base + offs_n[:, None] * HEAD_DIM + offs_d[None, :], mask=valid_n[:, None], other=0.0)

    lo, hi = _query_range(SEG_START, SEG_END, b, first_k, T, BLOCK_M, BLOCK_N, CAUSAL, HAS_SEG)
    mid_lo, mid_hi = _unmasked_query_range(lo, hi, first_k, T, BLOCK_M, BLOCK_N, CAUSAL, HAS_SEG)
    dk = tl.zeros([BLOCK_N, HEAD_DIM], tl.float32)
    dv = tl.zeros([BLOCK_N, HEAD_DIM], tl.float32)
    n_visited = tl.zeros([], tl.int32)
    dk, dv, n_visited = _attn_bwd_dkdv_inner(
        dk, dv, n_visited, k, v, Q, DO, LSE, DELTA, SEG, base, bh, b, offs_n, lo, mid_lo, qk_scale, T,
        HEAD_DIM, BLOCK_M, True, CAUSAL, HAS_SEG, DOT_PRECISION,
    )
    dk, dv, n_visited = _attn_bwd_dkdv_inner(
        dk, dv, n_visited, k, v, Q, DO, LSE, DELTA, SEG, base, bh, b, offs_n, mid_lo, mid_hi, qk_scale, T,
        HEAD_DIM, BLOCK_M, False, CAUSAL, HAS_SEG, DOT_PRECISION,
    )
    dk, dv, n_visited = _attn_bwd_dkdv_inner(
        dk, dv, n_visited, k, v, Q, DO, LSE, DELTA, SEG, base, bh, b, offs_n, mid_hi, hi, qk_scale, T,
        HEAD_DIM, BLOCK_M, True, CAUSAL, HAS_SEG, DOT_PRECISION,
    )

    dk *= sm_scale
    ptrs = base + offs_n[:, None] * HEAD_DIM + offs_d[None, :]
    tl.store(DK + ptrs, dk.to(DK.dtype.element_ty), mask=valid_n[:, None])
    tl.store(DV + ptrs, dv.to(DV.dtype.element_ty), mask=valid_n[:, None])
    if COUNT_BLOCKS:
        tl.store(COUNTS + bh * tl.num_programs(0) + start_n, n_visited)


@triton.jit
def _attn_bwd_dq_inner(
    dq, n_visited, q, do, lse, delta, K, V, SEG, base, b, offs_m, lo, hi, qk_scale, T,
    HEAD_DIM: tl.constexpr, BLOCK_N: tl.constexpr, MASKED: tl.constexpr, CAUSAL: tl.constexpr,
    HAS_SEG: tl.constexpr, DOT_PRECISION: tl.constexpr,
):
    # Over the key blocks [lo, hi):
    #   P = exp2(s Q K^T log2e - LSE)    dP = dO V^T    dS = P * (dP - Delta)    dQ += dS K
    offs_d = tl.arange(0, HEAD_DIM)
    for start_n in range(lo, hi, BLOCK_N):
        offs_n = start_n + tl.arange(0, BLOCK_N)
        k_ptrs = K + base + offs_n[None, :] * HEAD_DIM + offs_d[:, None]
        v_ptrs = V + base + offs_n[None, :] * HEAD_DIM + offs_d[:, None]
        if MASKED:
            kT = tl.load(k_ptrs, mask=offs_n[None, :] < T, other=0.0)
            vT = tl.load(v_ptrs, mask=offs_n[None, :] < T, other=0.0)
        else:
            kT = tl.load(k_ptrs)
            vT = tl.load(v_ptrs)
        p = tl.math.exp2(tl.dot(q, kT, input_precision=DOT_PRECISION) * qk_scale - lse[:, None])
        if MASKED:
            p = tl.where(_visible(offs_m[:, None], offs_n[None, :], SEG, b, T, CAUSAL, HAS_SEG), p, 0.0)
        dp = tl.dot(do, vT, input_precision=DOT_PRECISION)
        ds = p * (dp - delta[:, None])
        dq += tl.dot(ds.to(kT.dtype), tl.trans(kT), input_precision=DOT_PRECISION)
        n_visited += 1
    return dq, n_visited


@triton.jit
def _attn_bwd_dq_kernel(
    Q, K, V, DO, LSE, DELTA, DQ,
    SEG, SEG_START, SEG_END, COUNTS,
    qk_scale, sm_scale,
    T, H,
    HEAD_DIM: tl.constexpr,
    BLOCK_M: tl.constexpr,  # queries per program
    BLOCK_N: tl.constexpr,  # keys per inner step
    CAUSAL: tl.constexpr,
    HAS_SEG: tl.constexpr,
    COUNT_BLOCKS: tl.constexpr,
    DOT_PRECISION: tl.constexpr,
):
    # One program = BLOCK_M queries; it owns their dQ rows and walks the same key blocks as the forward
    # (unmasked, then masked). Finally dQ *= sm_scale.
    start_m = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)
    b = bh // H
    base = bh * T * HEAD_DIM
    first_q = start_m * BLOCK_M
    offs_m = first_q + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, HEAD_DIM)
    valid_m = offs_m < T
    ptrs_m = base + offs_m[:, None] * HEAD_DIM + offs_d[None, :]
    q = tl.load(Q + ptrs_m, mask=valid_m[:, None], other=0.0)
    do = tl.load(DO + ptrs_m, mask=valid_m[:, None], other=0.0)
    lse = tl.load(LSE + bh * T + offs_m, mask=valid_m, other=float("inf"))
    delta = tl.load(DELTA + bh * T + offs_m, mask=valid_m, other=0.0)

    lo, hi = _key_range(SEG_START, SEG_END, b, first_q, T, BLOCK_M, BLOCK_N, CAUSAL, HAS_SEG)
    mid = _unmasked_key_end(lo, first_q, T, BLOCK_N, CAUSAL, HAS_SEG)
    dq = tl.zeros([BLOCK_M, HEAD_DIM], tl.float32)
    n_visited = tl.zeros([], tl.int32)
    dq, n_visited = _attn_bwd_dq_inner(
        dq, n_visited, q, do, lse, delta, K, V, SEG, base, b, offs_m, lo, mid, qk_scale, T,
        HEAD_DIM, BLOCK_N, False, CAUSAL, HAS_SEG, DOT_PRECISION,
    )
    dq, n_visited = _attn_bwd_dq_inner(
        dq, n_visited, q, do, lse, delta, K, V, SEG, base, b, offs_m, mid, hi, qk_scale, T,
        HEAD_DIM, BLOCK_N, True, CAUSAL, HAS_SEG, DOT_PRECISION,
    )

    dq *= sm_scale
    tl.store(DQ + ptrs_m, dq.to(DQ.dtype.element_ty), mask=valid_m[:, None])
    if COUNT_BLOCKS:
        tl.store(COUNTS + bh * tl.num_programs(0) + start_m, n_visited)


# GPU autotuning over a short list (8 configs per kernel, so a first call compiles in seconds, not minutes):
# block pairs from the Triton tutorial's search space, 8 warps for 128-row tiles, 2 or 3 pipeline stages.
# Configs that exceed shared memory fail to compile and are dropped by the autotuner. The key includes T:
# packed training uses one window length, so it tunes once. Not yet run on a GPU: the list is unmeasured.
def _configs(tiles):
    return [
        triton.Config({"BLOCK_M": bm, "BLOCK_N": bn}, num_warps=warps, num_stages=stages)
        for bm, bn, warps in tiles
        for stages in (2, 3)
    ]


_AUTOTUNE_KEY = ["T", "HEAD_DIM", "CAUSAL", "HAS_SEG", "DOT_PRECISION"]
_QUERY_MAJOR_TILES = [(64, 32, 4), (64, 64, 4), (128, 32, 8), (128, 64, 8)]  # forward, dQ: BLOCK_M queries/program
_KEY_MAJOR_TILES = [(32, 64, 4), (64, 64, 4), (32, 128, 8), (64, 128, 8)]  # dK/dV: BLOCK_N keys/program
_attn_fwd_tuned = triton.autotune(_configs(_QUERY_MAJOR_TILES), key=_AUTOTUNE_KEY)(_attn_fwd_kernel)
_attn_bwd_dkdv_tuned = triton.autotune(_configs(_KEY_MAJOR_TILES), key=_AUTOTUNE_KEY)(_attn_bwd_dkdv_kernel)
_attn_bwd_dq_tuned = triton.autotune(_configs(_QUERY_MAJOR_TILES), key=_AUTOTUNE_KEY)(_attn_bwd_dq_kernel)


# --------------------------------------------------------------------------------------------------------
# Launchers
# --------------------------------------------------------------------------------------------------------


def _segment_tables(segment_ids: torch.Tensor, check: bool = True):
    """(run index, segment start, segment end) as (B, T) int32 tensors, from (B, T) integer ids.

    Comparing run indices equals comparing ids when each id is one contiguous run (checked here when
    `check`); they lie in [0, T), so any integer dtype maps to int32 without collisions.
    """
    B, T = segment_ids.shape
    pos = torch.arange(T, device=segment_ids.device)
    change = segment_ids[:, 1:] != segment_ids[:, :-1]  # (B, T-1): a new run starts at t+1
    if check and not torch.compiler.is_compiling():
        # Runs == distinct ids  <=>  no id comes back after another one started.
        sorted_ids = segment_ids.sort(dim=1).values
        distinct = (sorted_ids[:, 1:] != sorted_ids[:, :-1]).sum(1)
        if bool((change.sum(1) != distinct).any()):
            raise ValueError(
                "segment_ids: each segment must occupy one contiguous run of positions in its row "
                "(e.g. nondecreasing ids, as packing produces); found an id that reappears after another one"
            )
    true_col = torch.ones(B, 1, dtype=torch.bool, device=segment_ids.device)
    is_first = torch.cat([true_col, change], dim=1)
    is_last = torch.cat([change, true_col], dim=1)
    run = torch.cumsum(is_first.to(torch.int32), dim=1) - 1
    start = torch.cummax(torch.where(is_first, pos, 0), dim=1).values
    end = torch.cummin(torch.where(is_last, pos + 1, T).flip(1), dim=1).values.flip(1)
    return run.to(torch.int32).contiguous(), start.to(torch.int32).contiguous(), end.to(torch.int32).contiguous()


# The model passes one segment_ids tensor to every layer: remember the tables of the last one, so the check
# (a host sync) and the table building run once per step, not once per layer. The strong reference keeps
# that tensor alive, so identity plus its version counter (bumped by any in-place write) identify the content.
_last_segment_tables: tuple[torch.Tensor, int, tuple[torch.Tensor, ...]] | None = None


def _segment_tables_cached(segment_ids: torch.Tensor) -> tuple[torch.Tensor, ...]:
    global _last_segment_tables
    if segment_ids.is_inference() or torch.compiler.is_compiling():
        return _segment_tables(segment_ids)  # inference tensors have no version counter
    cached = _last_segment_tables
    if cached is not None and cached[0] is segment_ids and cached[1] == segment_ids._version:
        return cached[2]
    tables = _segment_tables(segment_ids)
    _last_segment_tables = (segment_ids, segment_ids._version, tables)
    return tables


def _dot_precision(dtype: torch.dtype) -> str:
    # fp32 inputs get true fp32 products ("ieee") rather than TF32, so fp32 means fp32 accuracy.
    return "ieee" if dtype == torch.float32 else "tf32"


def _launch(tuned, raw, grid_fixed, grid_meta, blocks, args, meta):
    """Fixed blocks in the interpreter or when the caller names them; autotuned blocks on the GPU otherwise."""
    if blocks is not None or is_interpreter():
        bm, bn = blocks or (_INTERPRETER_BLOCK_M, _INTERPRETER_BLOCK_N)
        raw[grid_fixed(bm, bn)](*args, **meta, BLOCK_M=bm, BLOCK_N=bn)
    else:
        tuned[grid_meta](*args, **meta)


def flash_attention_fwd(q, k, v, causal, sm_scale, seg_tables=None, blocks=None, counts=None):
    """Forward launcher. q, k, v contiguous (B, H, T, D). Returns (O, LSE) with LSE (B*H, T) fp32 in base 2.

    `blocks=(BLOCK_M, BLOCK_N)` fixes the block sizes; `counts`, an int32 tensor (B*H, cdiv(T, BLOCK_M)),
    receives the number of key blocks each program visited (tests use it to see skipping).
    """
    B, H, T, D = q.shape
    o = torch.empty_like(q)
    lse = torch.empty(B * H, T, device=q.device, dtype=torch.float32)
    seg, start, end = seg_tables if seg_tables is not None else (lse, lse, lse)  # placeholders when unused
    args = (q, k, v, o, lse, seg, start, end, counts if counts is not None else lse, sm_scale * _LOG2E, T, H)
    meta = dict(
        HEAD_DIM=D, CAUSAL=causal, HAS_SEG=seg_tables is not None, COUNT_BLOCKS=counts is not None,
        DOT_PRECISION=_dot_precision(q.dtype),
    )
    _launch(
        _attn_fwd_tuned, _attn_fwd_kernel,
        lambda bm, bn: (triton.cdiv(T, bm), B * H),
        lambda META: (triton.cdiv(T, META["BLOCK_M"]), B * H),
        blocks, args, meta,
    )
    return o, lse


def flash_attention_bwd(q, k, v, o, lse, do, causal, sm_scale, seg_tables=None, blocks=None, counts=None):
    """Backward launcher: Delta, then dK/dV over key blocks, then dQ over query blocks (no atomics).

    `blocks=(BLOCK_M, BLOCK_N)` fixes the block sizes of both passes; `counts`, if given, is a pair of int32
    tensors receiving the inner blocks visited per program of the dK/dV pass and of the dQ pass.
    """
    B, H, T, D = q.shape
    delta = torch.empty_like(lse)
    pre_block = 16 if is_interpreter() else 64
    _attn_bwd_preprocess_kernel[(triton.cdiv(T, pre_block), B * H)](o, do, delta, T, HEAD_DIM=D, BLOCK_M=pre_block)

    dq, dk, dv = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
    seg, start, end = seg_tables if seg_tables is not None else (lse, lse, lse)
    counts_kv, counts_q = counts if counts is not None else (lse, lse)
    meta = dict(
        HEAD_DIM=D, CAUSAL=causal, HAS_SEG=seg_tables is not None, COUNT_BLOCKS=counts is not None,
        DOT_PRECISION=_dot_precision(q.dtype),
    )
    common = (seg, start, end)
    scales = (sm_scale * _LOG2E, sm_scale, T, H)
    _launch(
        _attn_bwd_dkdv_tuned, _attn_bwd_dkdv_kernel,
        lambda bm, bn: (triton.cdiv(T, bn), B * H),
        lambda META: (triton.cdiv(T, META["BLOCK_N"]), B * H),
        blocks, (q, k, v, do, lse, delta, dk, dv, *common, counts_kv, *scales), meta,
    )
    _launch(
        _attn_bwd_dq_tuned, _attn_bwd_dq_kernel,
        lambda bm, bn: (triton.cdiv(T, bm), B * H),
        lambda META: (triton.cdiv(T, META["BLOCK_M"]), B * H),
        blocks, (q, k, v, do, lse, delta, dq, *common, counts_q, *scales), meta,
    )
    return dq, dk, dv


# --------------------------------------------------------------------------------------------------------
# Autograd
# --------------------------------------------------------------------------------------------------------


class FlashAttentionFunction(torch.autograd.Function):
    """Autograd wrapper: saves Q, K, V, O and the LSE (not P) and recomputes P in the backward."""

    @staticmethod
    def forward(ctx, q, k, v, causal, sm_scale, segment_ids):
        q, k, v = contiguous(q, k, v)
        seg_tables = _segment_tables_cached(segment_ids) if segment_ids is not None else None
        o, lse = flash_attention_fwd(q, k, v, causal, sm_scale, seg_tables)
        ctx.save_for_backward(q, k, v, o, lse, *(seg_tables or ()))
        ctx.causal, ctx.sm_scale = causal, sm_scale
        return o

    @staticmethod
    def backward(ctx, do):
        q, k, v, o, lse, *seg_tables = ctx.saved_tensors
        (do,) = contiguous(do)
        dq, dk, dv = flash_attention_bwd(q, k, v, o, lse, do, ctx.causal, ctx.sm_scale, seg_tables or None)
        return dq, dk, dv, None, None, None


# --------------------------------------------------------------------------------------------------------
# Functional API
# --------------------------------------------------------------------------------------------------------


def flash_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    causal: bool = True,
    sm_scale: float | None = None,
    segment_ids: torch.Tensor | None = None,
) -> torch.Tensor:
    """softmax(sm_scale * Q K^T + mask) V with the fused Triton kernels, differentiable in q, k and v.

    q, k, v: (B, H, T, D), one dtype in {float32, float16, bfloat16}, D in {32, 64, 128}, any T >= 1; on
    CUDA, or on CPU with TRITON_INTERPRET=1 (float32 and float16 only there). sm_scale defaults to 1/sqrt(D).
    segment_ids: optional (B, T) integer tensor; a query sees only keys with its own id (and, causal, not
    later than itself). Each id must be one contiguous run per row (ValueError otherwise). Returns (B, H, T, D)
    in the input dtype; internally fp32 accumulation.
    """
    sm_scale = check_attention_inputs(q, k, v, segment_ids, sm_scale)
    check_same_device_dtype(q=q, k=k, v=v)
    check_triton_device(q=q)
    if q.dtype == torch.bfloat16 and q.device.type == "cpu":
        # The triton 3.9 interpreter has no bfloat16 arithmetic (numpy has none): results would be garbage.
        raise ValueError("bfloat16 needs a GPU: the Triton interpreter supports float32 and float16 only")
    if q.shape[-1] not in SUPPORTED_HEAD_DIMS:
        raise ValueError(f"head dim D = {q.shape[-1]} is not supported by the kernel; use one of {SUPPORTED_HEAD_DIMS}")
    return FlashAttentionFunction.apply(q, k, v, bool(causal), sm_scale, segment_ids)
