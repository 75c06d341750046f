"""PReLU and Maxout: fastact against PyTorch's kernels (and TensorFlow's formulations when installed).

    python benchmarks/units.py [--sizes 1e6,1.6e7] [--channels 64] [--threads N] [--repeats 7]

Cases (float32, channels-last (n / C, C) arrays):
* PReLU forward: ``fastact.prelu`` vs ``aten._prelu_kernel`` and Keras's composite
  ``relu(x) - alpha * relu(-x)``.
* PReLU backward (dx and dalpha): ``fastact.prelu_backward`` vs ``aten._prelu_kernel_backward`` plus the
  sum its input-sized weight gradient needs, and TF autodiff of the composite.
* Maxout (num_units = C / 2): ``fastact.maxout`` vs ``x.reshape(n, 2, C/2).amax(1)`` (PyTorch) and the
  tfa reshape + reduce_max (TF); backward: ``fastact.maxout_backward`` (it searches the maxima again)
  vs PyTorch autograd of amax and TF autodiff of the reshape + reduce_max.

Timing as in speed.py: interleaved rounds, median per call.  Output: a markdown table (ratio = peer time
/ fastact time).
"""
import argparse
import os
import statistics
import sys

import numpy as np

import fastact

sys.path.append(os.path.dirname(os.path.abspath(__file__)))  # appended: the installed fastact wins
from speed import _calls_per_batch, _cpu_model, _csv, _time_batch, _whole  # noqa: E402


def interleaved(candidates, repeats, target_s=0.02):
    for fn in candidates.values():
        fn()
    calls = {name: _calls_per_batch(fn, target_s) for name, fn in candidates.items()}
    samples = {name: [] for name in candidates}
    names = list(candidates)
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            samples[name].append(_time_batch(candidates[name], calls[name]) / calls[name])
    return {name: statistics.median(s) for name, s in samples.items()}


def torch_cases(x, alpha, g, gm, units):
    import torch
    tx, ta, tg, tgm = (torch.from_numpy(a) for a in (x, alpha, g, gm))
    n, c = x.shape
    txr = tx.clone().requires_grad_(True)
    ty = txr.reshape(n, c // units, units).amax(1)

    def prelu_bwd():
        dx, dw = torch.ops.aten._prelu_kernel_backward(tg, tx, ta)
        return dx, dw.sum(0)

    return {
        "prelu forward": lambda: torch.ops.aten._prelu_kernel(tx, ta),
        "prelu backward": prelu_bwd,
        "maxout forward": lambda: tx.reshape(n, c // units, units).amax(1),
        "maxout backward": lambda: torch.autograd.grad(ty, txr, tgm, retain_graph=True)[0],
    }


def tf_cases(x, alpha, g, gm, units):
    import tensorflow as tf
    tx, ta, tg, tgm = (tf.constant(a) for a in (x, alpha, g, gm))
    n, c = x.shape

    @tf.function
    def prelu(v, a):
        return tf.nn.relu(v) - a * tf.nn.relu(-v)

    @tf.function
    def prelu_bwd(v, a, gr):
        with tf.GradientTape() as tape:
            tape.watch([v, a])
            y = tf.nn.relu(v) - a * tf.nn.relu(-v)
        return tape.gradient(y, [v, a], output_gradients=gr)

    @tf.function
    def maxout(v):
        return tf.reduce_max(tf.reshape(v, (n, c // units, units)), axis=1)

    @tf.function
    def maxout_bwd(v, gr):
        with tf.GradientTape() as tape:
            tape.watch(v)
            y = tf.reduce_max(tf.reshape(v, (n, c // units, units)), axis=1)
        return tape.gradient(y, v, output_gradients=gr)

    return {"prelu forward": lambda: prelu(tx, ta), "prelu backward": lambda: prelu_bwd(tx, ta, tg),
            "maxout forward": lambda: maxout(tx), "maxout backward": lambda: maxout_bwd(tx, tgm)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=_csv(_whole(1)), default="1e6,1.6e7",
                    help="element counts, comma-separated (default: %(default)s)")
    ap.add_argument("--channels", type=_whole(2), default=64, help="C, even (default: %(default)s)")
    ap.add_argument("--threads", type=_whole(1), default=fastact.get_num_threads())
    ap.add_argument("--repeats", type=_whole(1), default=7)
    args = ap.parse_args(argv)
    if args.channels % 2:
        ap.error(f"--channels must be even (maxout takes C / 2 units); got {args.channels}")
    for size in args.sizes:
        if size < args.channels:
            ap.error(f"--sizes: {size} is fewer elements than one row of --channels {args.channels}")
    c, units, nt = args.channels, args.channels // 2, args.threads
    peers = {}
    try:
        import torch
        torch.set_num_threads(nt)
        peers["torch"] = torch_cases
    except ImportError:
        pass
    try:
        import tensorflow  # noqa: F401
        peers["tf"] = tf_cases
    except ImportError:
        pass

    print(f"CPU: {_cpu_model()} | threads: {nt} | fastact SIMD: {fastact._dispatch.current_level()} | "
          f"float32, (n/{c}, {c}) channels-last, maxout num_units={units} | median of {args.repeats}\n")
    names = list(peers)
    print("| case | size | fastact µs | fastact Gelem/s | " + " | ".join(f"{p} µs | {p} ratio" for p in names) + " |")
    print("|---|---:|---:|---:|" + "---:|---:|" * len(names))
    for size in args.sizes:
        rng = np.random.default_rng(0)
        n = size // c
        x = rng.standard_normal((n, c)).astype(np.float32)
        alpha = rng.uniform(0.1, 0.3, c).astype(np.float32)
        g = rng.standard_normal((n, c)).astype(np.float32)
        gm = rng.standard_normal((n, units)).astype(np.float32)
        ours = {
            "prelu forward": lambda: fastact.prelu(x, alpha, n_threads=nt),
            "prelu backward": lambda: fastact.prelu_backward(g, x, alpha, n_threads=nt),
            "maxout forward": lambda: fastact.maxout(x, units, n_threads=nt),
            "maxout backward": lambda: fastact.maxout_backward(gm, x, units, n_threads=nt),
        }
        peer_fns = {p: make(x, alpha, g, gm, units) for p, make in peers.items()}
        for case, fn in ours.items():
            cands = {"fastact": fn, **{p: fns[case] for p, fns in peer_fns.items()}}
            t = interleaved(cands, args.repeats)
            cells = " | ".join(f"{t[p] * 1e6:,.0f} | {t[p] / t['fastact']:.2f}" for p in names)
            print(f"| {case} | {size:.2g} | {t['fastact'] * 1e6:,.0f} | {size / t['fastact'] / 1e9:.2f} | "
                  f"{cells} |", flush=True)


if __name__ == "__main__":
    main()
