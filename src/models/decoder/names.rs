//! What each layer tensor is called in GGUF files and in transformers checkpoints.

use super::Arch;

/// A layer tensor's role; each source names the roles its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    AttnNorm,
    Q,
    K,
    V,
    O,
    QNorm,
    KNorm,
    PostAttnNorm,
    FfnNorm,
    Gate,
    Up,
    Down,
    PostFfnNorm,
    /// Phi-3's fused q/k/v and gate/up projections.
    Qkv,
    GateUp,
}

/// A layer tensor's name in GGUF files (`blk.N.<name>.weight`).
pub fn gguf_name(role: Role) -> &'static str {
    match role {
        Role::AttnNorm => "attn_norm",
        Role::Q => "attn_q",
        Role::K => "attn_k",
        Role::V => "attn_v",
        Role::O => "attn_output",
        Role::QNorm => "attn_q_norm",
        Role::KNorm => "attn_k_norm",
        Role::PostAttnNorm => "post_attention_norm",
        Role::FfnNorm => "ffn_norm",
        Role::Gate => "ffn_gate",
        // Phi-3's GGUF keeps gate and up fused under the up name.
        Role::Up | Role::GateUp => "ffn_up",
        Role::Down => "ffn_down",
        Role::PostFfnNorm => "post_ffw_norm",
        Role::Qkv => "attn_qkv",
    }
}

/// A layer tensor's name in transformers checkpoints (`model.layers.N.<name>.weight`).
pub fn hf_name(role: Role, arch: Arch) -> &'static str {
    let sandwich = matches!(arch, Arch::Gemma2 | Arch::Gemma3);
    match role {
        Role::AttnNorm => "input_layernorm",
        Role::Q => "self_attn.q_proj",
        Role::K => "self_attn.k_proj",
        Role::V => "self_attn.v_proj",
        Role::O => "self_attn.o_proj",
        Role::QNorm => "self_attn.q_norm",
        Role::KNorm => "self_attn.k_norm",
        Role::PostAttnNorm => "post_attention_layernorm",
        Role::FfnNorm if sandwich => "pre_feedforward_layernorm",
        Role::FfnNorm => "post_attention_layernorm",
        Role::Gate => "mlp.gate_proj",
        Role::Up => "mlp.up_proj",
        Role::Down => "mlp.down_proj",
        Role::PostFfnNorm => "post_feedforward_layernorm",
        Role::Qkv => "self_attn.qkv_proj",
        Role::GateUp => "mlp.gate_up_proj",
    }
}
