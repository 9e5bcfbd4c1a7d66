use super::*;
use crate::train::ops::random;

/// `product` on dense activations `a` (`n` rows of `depth`).
fn run(out: Out, a: &[f32], w: &[f32], (n, depth, cols): (usize, usize, usize), side: Side, kernel: Kernel) {
    product(out, Act { act: a, rs: depth, n }, w, side, (depth, cols), kernel);
}

/// The kernels this CPU runs, with their error bounds relative to the sum of absolute terms.
fn kernels() -> Vec<(Kernel, f64)> {
    [(Kernel::Tiles(Passes::Three), 3e-5), (Kernel::Tiles(Passes::One), 2e-2), (Kernel::Dots, 2e-2)]
        .into_iter()
        .filter(|(k, _)| k.runs_here())
        .collect()
}

/// The product in f64, and the sum of absolute terms per output (the error's scale).
fn exact(a: &[f32], w: &[f32], side: Side, (n, depth, cols): (usize, usize, usize)) -> (Vec<f64>, Vec<f64>) {
    let (mut y, mut mag) = (vec![0f64; n * cols], vec![0f64; n * cols]);
    for r in 0..n {
        for c in 0..cols {
            for k in 0..depth {
                let wv = match side {
                    Side::Rows => w[c * depth + k],
                    Side::Cols => w[k * cols + c],
                };
                let t = f64::from(a[r * depth + k]) * f64::from(wv);
                y[r * cols + c] += t;
                mag[r * cols + c] += t.abs();
            }
        }
    }
    (y, mag)
}

#[test]
fn bf16_products_match_the_exact_ones_within_their_precision() {
    // Partial tiles, depths that are not whole steps, two work items of rows, one row.
    for (i, &(n, depth, cols)) in
        [(3, 50, 17), (70, 64, 40), (600, 96, 33), (1, 576, 100), (40, 33, 64)].iter().enumerate()
    {
        let a = random(n * depth, 100 + i as u64);
        let w = random(depth * cols, 200 + i as u64);
        for side in [Side::Rows, Side::Cols] {
            let (want, mag) = exact(&a, &w, side, (n, depth, cols));
            for &(kernel, tol) in &kernels() {
                for accumulate in [false, true] {
                    // Outputs sit in a wider buffer (row stride cols + 5) that must keep
                    // its other values.
                    let rs = cols + 5;
                    let mut dst = vec![0.5f32; n * rs];
                    run(Out { dst: &mut dst, rs, accumulate }, &a, &w, (n, depth, cols), side, kernel);
                    for r in 0..n {
                        for c in 0..rs {
                            let got = f64::from(dst[r * rs + c]);
                            if c >= cols {
                                assert_eq!(got, 0.5, "outside the output at ({r}, {c})");
                                continue;
                            }
                            let base = if accumulate { 0.5 } else { 0.0 };
                            let err = (got - base - want[r * cols + c]).abs() / mag[r * cols + c].max(1e-30);
                            assert!(
                                err <= tol,
                                "{side:?} {kernel:?} acc {accumulate} ({n}, {depth}, {cols}) at ({r}, {c}): {got} vs {} (error {err:.2e} of the terms)",
                                want[r * cols + c] + base
                            );
                        }
                    }
                }
            }
        }
    }
}

/// `cargo test --release --lib -- --ignored tile_speed --nocapture`: GFLOP/s of the
/// products on the shapes of a SmolLM2 training step, against gemm's f32.
#[test]
#[ignore]
#[allow(clippy::print_stdout)]
fn tile_speed() {
    for (n, depth, cols) in [(1024, 576, 1536), (1024, 1536, 576), (1024, 576, 576), (256, 576, 1024), (256, 1024, 576)]
    {
        let a = random(n * depth, 1);
        let w = random(depth * cols, 2);
        let mut dst = vec![0f32; n * cols];
        let gflops = |f: &mut dyn FnMut()| {
            let t = std::time::Instant::now();
            let reps = 10;
            (0..reps).for_each(|_| f());
            2.0 * (n * depth * cols * reps) as f64 / t.elapsed().as_secs_f64() / 1e9
        };
        let f32_rate = gflops(&mut || {
            use crate::train::mm::{Dst, View, matmul};
            let r = View::dense(0, depth, cols);
            matmul(Dst::Init(&mut dst), View::dense(0, n, cols), &a, View::dense(0, n, depth), &w, r, false, 1.0, true);
        });
        println!("{n}x{depth}x{cols} gemm f32: {f32_rate:.0} GFLOP/s");
        for (side, kernel) in kernels().iter().flat_map(|&(k, _)| [(Side::Rows, k), (Side::Cols, k)]) {
            let rate = gflops(&mut || {
                run(Out { dst: &mut dst, rs: cols, accumulate: false }, &a, &w, (n, depth, cols), side, kernel);
            });
            println!("{n}x{depth}x{cols} {side:?} {kernel:?}: {rate:.0} GFLOP/s");
        }
    }
}
