//! The key/value cache of one sequence.

use candle_core::Tensor;

/// One layer's keys and values `(1, kv_heads, capacity, head_dim)`, filled up to `len`.
#[derive(Debug, Default)]
pub(super) struct LayerKv {
    pub(super) k: Option<Tensor>,
    pub(super) v: Option<Tensor>,
}

/// One sequence's keys and values per layer, in buffers that double when full (from one chunk:
/// a short prompt holds 64 positions, not a whole context): appending a token writes in place
/// instead of copying the whole cache, and truncating (a chat turn that shares a prefix with
/// the previous one) is free. Not `Clone`: clones would share buffers.
#[derive(Debug, Default)]
pub struct KvCache {
    pub(super) layers: Vec<LayerKv>,
    len: usize,
}

/// Cache buffers hold a multiple of this many positions.
const KV_CHUNK: usize = 64;

impl KvCache {
    pub fn new(layers: usize) -> Self {
        Self { layers: (0..layers).map(|_| LayerKv::default()).collect(), len: 0 }
    }

    /// Positions already cached.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keep the first `n` positions only.
    pub fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    /// Forget everything (a new conversation).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Positions the buffers can hold before they grow.
    pub fn capacity(&self) -> usize {
        self.layers.first().and_then(|l| l.k.as_ref()).map_or(0, |b| b.dims()[2])
    }

    /// A new cache holding a copy of the first `n` positions (at most `len`), in buffers of
    /// their own: a server gives a shared system prompt's keys and values to every request that
    /// starts with it, where only one could take the pooled cache itself.
    pub fn copy_prefix(&self, n: usize) -> candle_core::Result<KvCache> {
        let n = n.min(self.len);
        let cap = n.max(1).div_ceil(KV_CHUNK) * KV_CHUNK;
        let copy = |t: &Option<Tensor>| t.as_ref().map(|t| resized(Some(t), t, cap, n)).transpose();
        let layers = self
            .layers
            .iter()
            .map(|l| Ok(LayerKv { k: copy(&l.k)?, v: copy(&l.v)? }))
            .collect::<candle_core::Result<_>>()?;
        Ok(KvCache { layers, len: n })
    }

    /// Bytes the buffers hold.
    pub fn size_in_bytes(&self) -> usize {
        let bytes = |t: &Option<Tensor>| t.as_ref().map_or(0, |t| t.elem_count() * t.dtype().size_in_bytes());
        self.layers.iter().map(|l| bytes(&l.k) + bytes(&l.v)).sum()
    }

    /// Write `k`, `v` `(1, kv_heads, t, head_dim)` at `pos` in layer `li`; the layer's keys and
    /// values for positions `0..pos + t`. Buffers never grow past `context` positions.
    pub(super) fn append(
        &mut self,
        li: usize,
        pos: usize,
        k: &Tensor,
        v: &Tensor,
        context: usize,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let t = k.dim(2)?;
        let last = li + 1 == self.layers.len();
        let layer = &mut self.layers[li];
        let cap = layer.k.as_ref().map_or(0, |b| b.dims()[2]);
        if pos + t > cap {
            let doubled = (pos + t).max(2 * cap).div_ceil(KV_CHUNK) * KV_CHUNK;
            let new_cap = doubled.min(context.max(pos + t));
            layer.k = Some(resized(layer.k.as_ref(), k, new_cap, pos)?);
            layer.v = Some(resized(layer.v.as_ref(), v, new_cap, pos)?);
        }
        let (Some(kb), Some(vb)) = (&layer.k, &layer.v) else { candle_core::bail!("KV buffers missing") };
        kb.slice_set(k, 2, pos)?;
        vb.slice_set(v, 2, pos)?;
        if last {
            self.len = pos + t;
        }
        Ok((kb.narrow(2, 0, pos + t)?, vb.narrow(2, 0, pos + t)?))
    }
}

/// A zeroed buffer of `cap` positions shaped as `like` `(1, kv_heads, _, head_dim)`, holding the
/// first `keep` positions of `old` (a buffer growing, or a prefix copied for another sequence).
fn resized(old: Option<&Tensor>, like: &Tensor, cap: usize, keep: usize) -> candle_core::Result<Tensor> {
    let (b, h, _, d) = like.dims4()?;
    let buf = Tensor::zeros((b, h, cap, d), like.dtype(), like.device())?;
    if let Some(old) = old
        && keep > 0
    {
        buf.slice_set(&old.narrow(2, 0, keep)?.contiguous()?, 2, 0)?;
    }
    Ok(buf)
}
