/**
 * The recipe catalogue: each way the forum thread wrote a penalty (or a training loop around
 * one), as data plus a function, with its verdict and the claims that prove it.
 */
import { Tensor, add, mul, norm, pow, tensor } from '../engine/index.ts';
import { l1Penalty, l2Penalty } from './penalties.ts';

/**
 * A penalty as user code computes it. It returns a Tensor when it stays in the graph and a
 * plain number when the user's code detached it (through item()).
 */
export type PenaltyFn = (params: readonly Tensor[], lambda: number, options: { start?: number }) => Tensor | number;

/** Sums per-parameter terms the way the thread does: the first term starts the accumulator. */
function accumulate(params: readonly Tensor[], term: (w: Tensor) => Tensor): Tensor {
  let acc: Tensor | null = null;
  for (const w of params) acc = acc === null ? term(w) : add(acc, term(w));
  if (acc === null) throw new RangeError('penalty: no parameters to penalize (did a filter exclude all of them?)');
  return acc;
}

export const PENALTIES: Record<string, PenaltyFn> = {
  'half-pow-sum': (params, lambda) => l2Penalty(params, lambda),
  'pow-sum': (params, lambda) => mul(lambda, accumulate(params, (w) => pow(w, 2).sum())),
  'half-norm-squared': (params, lambda) => mul(lambda, accumulate(params, (w) => mul(0.5, pow(norm(w), 2)))),
  'norm-squared': (params, lambda) => mul(lambda, accumulate(params, (w) => pow(norm(w), 2))),
  norm: (params, lambda) => mul(lambda, accumulate(params, (w) => norm(w))),
  'norm-from-zero': (params, lambda) => {
    let acc: Tensor | number = 0;
    for (const w of params) acc = add(acc, norm(w));
    return mul(lambda, acc);
  },
  'norm-item': (params, lambda) => {
    let acc = 0;
    for (const w of params) acc += norm(w).item();
    return lambda * acc;
  },
  'norm-uninit-leaf': (params, lambda, { start }) => {
    if (start === undefined) throw new RangeError("penalty 'norm-uninit-leaf' needs the accumulator's arbitrary start value ('start')");
    let acc = tensor(start, { requiresGrad: true });
    for (const w of params) acc = add(acc, norm(w));
    return mul(lambda, acc);
  },
  l1: (params, lambda) => l1Penalty(params, lambda),
};

export type VerdictKind = 'equivalent' | 'equivalent-within-rounding' | 'not-equivalent' | 'detached' | 'pitfall' | 'fact';

export interface CatalogueEntry {
  id: string;
  title: string;
  /** The idea in PyTorch terms, restated as minimal code. */
  pytorch: string;
  /** What it computes, in one line of mathematics. */
  computes: string;
  verdictKind: VerdictKind;
  verdict: string;
  /** Ids of the claims whose properties prove the verdict. */
  claims: string[];
  /** The penalty function, for entries that are penalties. */
  penalty?: string;
}

export const CATALOGUE: readonly CatalogueEntry[] = [
  {
    id: 'half-pow-sum',
    title: 'λ·0.5·Σ w², the squared L2 with 0.5',
    pytorch: 'loss = loss + lam * 0.5 * sum(W.pow(2).sum() for W in model.parameters())',
    computes: 'gradient term λ·w for every parameter',
    verdictKind: 'equivalent',
    verdict:
      "Identical, bit for bit, to SGD(weight_decay=λ) for every momentum, dampening and nesterov setting (maximize off), in arithmetic that rounds every operation; PyTorch's fused weight_decay parts from it by an ulp now and then (see fused-weight-decay).",
    claims: ['l2.half-square-is-weight-decay'],
    penalty: 'half-pow-sum',
  },
  {
    id: 'pow-sum',
    title: 'λ·Σ w², the squared L2 without 0.5',
    pytorch: 'loss = loss + lam * sum(W.pow(2).sum() for W in model.parameters())',
    computes: 'gradient term 2λ·w',
    verdictKind: 'equivalent',
    verdict: 'Identical to SGD(weight_decay=2λ), not λ: the 0.5 is what makes λ mean the same thing in both.',
    claims: ['l2.square-without-half-is-double'],
    penalty: 'pow-sum',
  },
  {
    id: 'half-norm-squared',
    title: 'λ·0.5·‖W‖², the squared norm with 0.5',
    pytorch: 'loss = loss + lam * sum(0.5 * W.norm(2) ** 2 for W in model.parameters())',
    computes: 'gradient term λ·w, through norm and pow (three roundings instead of one)',
    verdictKind: 'equivalent-within-rounding',
    verdict: 'The same as weight_decay=λ up to a few ulps per step: mathematically equal, computed differently.',
    claims: ['l2.half-norm-squared-within-rounding'],
    penalty: 'half-norm-squared',
  },
  {
    id: 'norm-squared',
    title: 'λ·‖W‖², the squared norm without 0.5',
    pytorch: 'loss = loss + lam * sum(W.norm(2) ** 2 for W in model.parameters())',
    computes: 'gradient term 2λ·w',
    verdictKind: 'equivalent-within-rounding',
    verdict: 'Matches weight_decay=2λ up to rounding, as the squared sum without 0.5 does.',
    claims: ['l2.half-norm-squared-within-rounding'],
    penalty: 'norm-squared',
  },
  {
    id: 'norm',
    title: 'λ·Σ‖W‖, the unsquared norm (the question and the accepted answer)',
    pytorch: 'l2 = None\nfor W in model.parameters():\n    l2 = W.norm(2) if l2 is None else l2 + W.norm(2)\nloss = loss + lam * l2',
    computes: 'gradient term λ·w/‖w‖ for w ≠ 0 (0 at the zero tensor)',
    verdictKind: 'not-equivalent',
    verdict: 'Not weight decay: every weight tensor is pulled towards zero with the same strength λ whatever its size, so it equals weight_decay only where ‖W‖ = 1.',
    claims: ['l2.unsquared-norm-is-not-weight-decay'],
    penalty: 'norm',
  },
  {
    id: 'norm-from-zero',
    title: 'an accumulator that starts from the number 0',
    pytorch: 'l2 = 0\nfor W in model.parameters():\n    l2 += W.norm(2)\nloss = loss + lam * l2',
    computes: 'the same graph as starting from the first term: 0 + tensor is a tensor',
    verdictKind: 'equivalent',
    verdict: 'Stays in the graph: its gradients are identical to the accumulator that starts from the first term. The "python scalar" worry applies to item(), not to 0.',
    claims: ['accumulate.from-number-zero-stays-in-graph'],
    penalty: 'norm-from-zero',
  },
  {
    id: 'norm-item',
    title: 'an accumulator fed through item() (a detached scalar)',
    pytorch: 'l2 = 0.0\nfor W in model.parameters():\n    l2 += W.norm(2).item()\nloss = loss + lam * l2',
    computes: 'a constant added to the loss',
    verdictKind: 'detached',
    verdict: 'Broken: the loss value moves, the gradients do not. Training is exactly unregularized training.',
    claims: ['accumulate.item-is-detached'],
    penalty: 'norm-item',
  },
  {
    id: 'norm-uninit-leaf',
    title: 'an accumulator that starts as an uninitialised leaf (torch.FloatTensor(1))',
    pytorch: 'l2 = torch.FloatTensor(1).requires_grad_()  # arbitrary memory\nfor W in model.parameters():\n    l2 = l2 + W.norm(2)\nloss = loss + lam * l2',
    computes: 'λ·(garbage + Σ‖W‖): the unsquared-norm penalty plus an arbitrary constant',
    verdictKind: 'pitfall',
    verdict: 'Gradients are those of the unsquared norm, but the reported loss is offset by λ times whatever the memory held.',
    claims: ['accumulate.uninitialised-leaf-offsets-the-loss'],
    penalty: 'norm-uninit-leaf',
  },
  {
    id: 'weights-only',
    title: 'penalizing weights only, not biases',
    pytorch: "l2 = sum(0.5 * W.pow(2).sum() for name, W in model.named_parameters() if 'bias' not in name)",
    computes: 'gradient term λ·w for weights, none for biases',
    verdictKind: 'equivalent',
    verdict: 'Identical to parameter groups that give the biases weight_decay=0. Summing over model.parameters() penalizes the biases too.',
    claims: ['bias.exclusion-equals-parameter-groups', 'bias.all-parameters-penalize-biases'],
  },
  {
    id: 'l1',
    title: 'L1: λ·Σ|w|',
    pytorch: 'loss = loss + lam * sum(W.abs().sum() for W in model.parameters())',
    computes: 'gradient term λ·sign(w), 0 at exact zeros',
    verdictKind: 'fact',
    verdict: 'No optimizer option equals it; at an exact zero its gradient is 0 (the minimum-norm subgradient), so it stays finite.',
    claims: ['zero.subgradient-is-zero-at-zero', 'zero.training-from-zero-stays-finite'],
    penalty: 'l1',
  },
  {
    id: 'sqrt-sum-squares',
    title: 'the norm written as sqrt(sum(w²))',
    pytorch: 'l2 = W.pow(2).sum().sqrt()',
    computes: 'the same value as W.norm(2), with a different gradient at zero',
    verdictKind: 'pitfall',
    verdict: 'NaN gradient at the zero tensor (0·∞), where W.norm(2) gives 0. The thread\'s ZeroDivisionError was this kind of singularity.',
    claims: ['zero.composed-sqrt-is-nan-at-zero'],
  },
  {
    id: 'no-zero-grad',
    title: "the thread's full example, which never zeroes the gradients",
    pytorch: 'for t in range(100):\n    loss = criterion(model(x), y) + lam * reg\n    loss.backward()\n    optimizer.step()  # no optimizer.zero_grad()',
    computes: 'step t uses the sum of all gradients so far',
    verdictKind: 'pitfall',
    verdict: 'Not the training anyone meant: from step 2 on, gradients accumulate, so it agrees with weight decay only if both runs share the same bug.',
    claims: ['thread.missing-zero-grad-accumulates', 'fixtures.thread-literal-pair-disagrees'],
  },
  {
    id: 'mse-mean',
    title: 'MSELoss versus (1/N)·Σ(ŷ − y)²',
    pytorch: 'criterion = nn.MSELoss()  # versus (1/N) * (y_pred - y).pow(2).sum()',
    computes: "MSELoss('mean') divides by every element, N·D",
    verdictKind: 'fact',
    verdict: 'They agree only when each target has one component (D = 1); otherwise MSELoss is D times smaller.',
    claims: ['mse.mean-divides-by-every-element'],
  },
  {
    id: 'backward-twice',
    title: 'backward through the same graph twice',
    pytorch: 'loss.backward()\nloss.backward()  # RuntimeError unless retain_graph=True',
    computes: 'the second call needs tensors the first one freed',
    verdictKind: 'fact',
    verdict: 'An error without retain_graph; with it, gradients accumulate twice. Usually the fix is to rebuild the loss each step.',
    claims: ['graph.second-backward-throws', 'graph.retained-graph-accumulates-twice'],
  },
  {
    id: 'exploding',
    title: 'a regularized loss that goes to infinity',
    pytorch: 'optimizer = SGD(params, lr=lr, momentum=mu)  # with lr·λ past the stability bound',
    computes: 'pure L2 descent multiplies w by (1 − lr·λ) each step',
    verdictKind: 'fact',
    verdict: 'Stable iff lr·λ ≤ 2 without momentum, (1 − τ)·lr·λ < 2(1 + μ) with heavy-ball momentum, lr·λ < 2(1 + μ)/(1 + 2μ) with nesterov; past that the weights and the loss explode.',
    claims: ['stability.plain-descent-rate', 'stability.heavy-ball-bound', 'stability.nesterov-bound'],
  },
  {
    id: 'thread-literal-pair',
    title: "the thread's example as posted: manual L2 versus weight_decay, both without zero_grad",
    pytorch: 'loss = criterion(model(x), y) + lmbd * reg_loss  # versus SGD(..., weight_decay=lmbd)\nloss.backward()\noptimizer.step()  # no optimizer.zero_grad() in either',
    computes: 'manual: the penalty gradients λ·w of every earlier step stay in .grad; weight_decay: λ·w is added once, at the current w',
    verdictKind: 'pitfall',
    verdict:
      "The comparison the thread's code makes is not weight decay versus L2: in PyTorch's own float32 run the two agree at step 1, part at step 2 by lr·λ·w₀ and end 100 steps later 38% of ‖w‖ apart. With zero_grad PyTorch's two runs are bit-identical at all 100 steps.",
    claims: ['fixtures.thread-literal-pair-disagrees', 'fixtures.torch-thread-float32'],
  },
  {
    id: 'adam-vs-adamw',
    title: "Adam's weight_decay versus AdamW",
    pytorch: 'torch.optim.Adam(params, lr=lr, weight_decay=lam)   # λ·w added to the gradient\ntorch.optim.AdamW(params, lr=lr, weight_decay=lam)  # w *= 1 - lr*lam, then the Adam step',
    computes: 'Adam (and RMSprop, Adagrad): the gradient g + λ·w, then normalized; AdamW: w·(1 − lr·λ) outside the normalized step',
    verdictKind: 'not-equivalent',
    verdict:
      "Adam's, RMSprop's and Adagrad's weight_decay = λ is exactly the penalty λ·0.5·Σw² (bit for bit; subtracted under maximize). AdamW is not any penalty: its first step from the same parameters differs from Adam+L2's by lr·(G/(|G| + ε) − g/(|g| + ε) − λ·w) per element, where g is the data loss's gradient and G = g + λ·w the gradient with the penalty: by −lr·λ·w wherever |g| ≫ ε and g, G share a sign, the decay that Adam's normalization cancels. The two coincide only at λ = 0.",
    claims: [
      'adaptive.adam-decay-is-half-square',
      'adaptive.rmsprop-decay-is-half-square',
      'adaptive.adagrad-decay-is-half-square',
      'adaptive.adamw-is-not-adam-with-l2',
      'adaptive.adamw-zero-decay-is-adam',
      'fixtures.torch-adam',
      'fixtures.torch-adamw',
    ],
  },
  {
    id: 'sgd-momentum-decoupled',
    title: 'decoupled versus coupled weight decay with SGD and momentum',
    pytorch: 'with torch.no_grad():\n    for w in model.parameters():\n        w.mul_(1 - lr * lam)  # decoupled, before\noptimizer.step()       # SGD(momentum=mu, weight_decay=0), versus SGD(momentum=mu, weight_decay=lam)',
    computes: 'decoupled: w·(1 − lr·λ) outside the momentum buffer; coupled: λ·w enters the buffer and is remembered',
    verdictKind: 'not-equivalent',
    verdict:
      'Without momentum both are the same step, to within 4 roundings. With momentum they part: heavy ball at step 2 by lr·λ·(τ·w₁ − μ·w₀) (τ the dampening), nesterov at step 1 by −lr·μ·λ·w₀.',
    claims: ['adaptive.plain-sgd-decoupled-is-coupled', 'adaptive.momentum-decoupled-differs'],
  },
  {
    id: 'fused-weight-decay',
    title: "manual L2 versus weight_decay to the last bit, in PyTorch's own arithmetic",
    pytorch: 'loss = loss + lam * 0.5 * sum(W.pow(2).sum() for W in model.parameters())  # versus SGD(..., weight_decay=lam)\n# inside SGD: d_p = d_p.add(p, alpha=lam), one fused multiply-add on the CPU',
    computes: "manual: g + fl(λ·w), λ·w rounded before it is added; weight_decay: fl(g + λ·w), rounded once (PyTorch's add with alpha fuses)",
    verdictKind: 'equivalent-within-rounding',
    verdict:
      "The same training up to an ulp here and there: PyTorch's own two float64 runs part in a value or two after a few steps. The reference's 'pytorch' arithmetic reproduces both runs bit for bit, and so the very ulps they part by; its 'plain' arithmetic rounds λ·w on both sides, where the two are bit-identical.",
    claims: ['fixtures.torch-fused-pair', 'fixtures.torch-updates-bit-exact', 'l2.half-square-is-weight-decay'],
  },
  {
    id: 'inplace-square-update',
    title: 'adding λ·w² to the weights in place',
    pytorch: 'conv.weight += lam * conv.weight ** 2  # PyTorch refuses this on a leaf that requires grad, outside no_grad',
    computes: 'w ← w + λ·w²: a change of the weights, not a term of the loss',
    verdictKind: 'not-equivalent',
    verdict:
      'Not a regularizer: it moves every nonzero weight up by λ·w², so positive weights grow away from zero and negative ones are pushed towards it and, past −1/λ, through it; weight decay shrinks them all by the factor 1 − lr·λ.',
    claims: ['thread.inplace-square-update-is-not-decay'],
  },
];
