//! The MLP's gated activation, `act(g) * u`, and its backward pass.

use std::mem::MaybeUninit;

use candle_core::{Result, Tensor};
use rayon::prelude::*;

use super::mm;
use super::ops::{CHUNK, exp, read, tensor, wide, zip_map};
use crate::models::decoder::Activation;

/// The MLP's activation: `act(g) * u`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Silu,
    GeluTanh,
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

const GELU_C: f32 = 0.797_884_6; // sqrt(2 / pi)

fn silu(g: f32) -> f32 {
    g * sigmoid(g)
}

fn silu_derivative(g: f32) -> f32 {
    let s = sigmoid(g);
    s * (1.0 + g * (1.0 - s))
}

fn gelu(g: f32) -> f32 {
    0.5 * g * (1.0 + (GELU_C * (g + 0.044_715 * g * g * g)).tanh())
}

fn gelu_derivative(g: f32) -> f32 {
    let th = (GELU_C * (g + 0.044_715 * g * g * g)).tanh();
    0.5 * (1.0 + th) + 0.5 * g * (1.0 - th * th) * GELU_C * (1.0 + 3.0 * 0.044_715 * g * g)
}

/// The activations are plain functions, each loop compiled for one of them (a `match` per
/// element kept the loops scalar).
impl Gate {
    /// A decoder's activation.
    pub fn of(a: Activation) -> Self {
        match a {
            Activation::Silu => Self::Silu,
            Activation::GeluTanh => Self::GeluTanh,
        }
    }

    /// `act(g) * u`.
    pub fn forward(self, g: &Tensor, u: &Tensor) -> Result<Tensor> {
        let y = read(g, |gv| {
            read(u, |uv| match self {
                Self::Silu => gate_forward(gv, uv, silu),
                Self::GeluTanh => gate_forward(gv, uv, gelu),
            })
        })???;
        tensor(y, g.dims(), g.device())
    }

    /// Gradients of `g` and `u` given the output gradient `dy`.
    pub fn backward(self, g: &Tensor, u: &Tensor, dy: &Tensor) -> Result<(Tensor, Tensor)> {
        let (dg, du) = read(g, |gv| {
            read(u, |uv| {
                read(dy, |dv| match self {
                    Self::Silu => gate_backward(gv, uv, dv, silu, silu_derivative),
                    Self::GeluTanh => gate_backward(gv, uv, dv, gelu, gelu_derivative),
                })
            })
        })????;
        Ok((tensor(dg, g.dims(), g.device())?, tensor(du, g.dims(), g.device())?))
    }
}

#[inline(always)]
fn gate_forward(g: &[f32], u: &[f32], act: impl Fn(f32) -> f32 + Sync) -> Result<Vec<f32>> {
    zip_map(g, u, |g, u| act(g) * u)
}

#[inline(always)]
fn gate_backward(
    g: &[f32],
    u: &[f32],
    d: &[f32],
    act: impl Fn(f32) -> f32 + Sync,
    derivative: impl Fn(f32) -> f32 + Sync,
) -> Result<(Vec<f32>, Vec<f32>)> {
    assert!(g.len() == u.len() && g.len() == d.len(), "gate, up and gradient lengths");
    let both = |dg: &mut [MaybeUninit<f32>], du: &mut [MaybeUninit<f32>]| {
        let outs = dg.par_chunks_mut(CHUNK).zip(du.par_chunks_mut(CHUNK));
        let ins = g.par_chunks(CHUNK).zip(u.par_chunks(CHUNK)).zip(d.par_chunks(CHUNK));
        outs.zip(ins).for_each(|((dg, du), ((g, u), d))| {
            wide(
                #[inline(always)]
                || {
                    for ((((dg, du), &g), &u), &d) in dg.iter_mut().zip(du.iter_mut()).zip(g).zip(u).zip(d) {
                        dg.write(d * u * derivative(g));
                        du.write(d * act(g));
                    }
                },
            )
        });
    };
    let mut du = Vec::new();
    // SAFETY: as in `gate_forward`, both outputs' chunks pair with the inputs', all of one
    // length (asserted), and each element of both is written.
    #[allow(unsafe_code)]
    let dg = unsafe {
        mm::fresh(g.len(), |dg| {
            du = mm::fresh(g.len(), |du| {
                both(dg, du);
                Ok(())
            })?;
            Ok(())
        })
    }?;
    Ok((dg, du))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::ops::random;
    use crate::train::ops::tests::{check, dot, t, vals};

    #[test]
    fn gated_activations_backward_match_finite_differences() {
        let n = 40;
        let g = random(n, 9).iter().map(|v| v * 4.0).collect::<Vec<_>>();
        let u = random(n, 10);
        let c = random(n, 11);
        for gate in [Gate::Silu, Gate::GeluTanh] {
            let (dg, du) = gate.backward(&t(&g, &[n]), &t(&u, &[n]), &t(&c, &[n])).unwrap();
            check("gate g", &g, &vals(&dg), &|g: &[f32]| {
                dot(&vals(&gate.forward(&t(g, &[n]), &t(&u, &[n])).unwrap()), &c)
            });
            check("gate u", &u, &vals(&du), &|u: &[f32]| {
                dot(&vals(&gate.forward(&t(&g, &[n]), &t(u, &[n])).unwrap()), &c)
            });
        }
    }
}
