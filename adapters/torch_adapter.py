#!/usr/bin/env python3
"""regproof's PyTorch adapter: runs expression and training cases through PyTorch in float64.

It implements the op table of docs/ops.md; the adapter kit beside it (regproof_adapter.py) speaks
the process protocol of docs/protocol.md. Training cases are written as a PyTorch user would write
them: nn.Sequential of nn.Linear and activations, nn.MSELoss, the penalty recipes as plain user
code (item() accumulation and a sum started from the number 0 included), torch.optim.SGD with
parameter groups, and zero_grad() called or not.

Run it with an interpreter that has torch (Debian: /usr/bin/python3 with python3-torch).
"""
import torch

from regproof_adapter import serve

torch.set_default_dtype(torch.float64)
# The cases' tensors are far too small for intra-op threads to pay off, and regproof runs several
# adapters side by side (--jobs): each adapter computes on one thread, whatever the machine.
torch.set_num_threads(1)

# ---------------------------------------------------------------- tensors


def flat(t):
    return t.detach().reshape(-1).tolist()


def tensor_of(data, shape):
    return torch.tensor([float(v) for v in data]).reshape(shape)


# ---------------------------------------------------------------- expression cases

UNARY = {
    'neg': torch.neg,
    'exp': torch.exp,
    'log': torch.log,
    'sqrt': torch.sqrt,
    'abs': torch.abs,
    'sign': torch.sign,
    'relu': torch.relu,
    'tanh': torch.tanh,
    'square': torch.square,
    'transpose': lambda x: x.t(),
}

BINARY = {'add': torch.add, 'sub': torch.sub, 'mul': torch.mul, 'div': torch.div, 'matmul': torch.matmul}


def reduce_all_or_axis(x, reduction, attrs):
    axis = attrs.get('axis')
    keep = bool(attrs.get('keepDim', False))
    if axis is not None:
        return reduction(x, dim=int(axis), keepdim=keep)
    if keep and x.dim() > 0:
        return reduction(x, dim=tuple(range(x.dim())), keepdim=True)
    return reduction(x)


ATTR_OPS = {
    'pow': lambda x, attrs: x.pow(float(attrs['exponent'])),
    'sum': lambda x, attrs: reduce_all_or_axis(x, torch.sum, attrs),
    'mean': lambda x, attrs: reduce_all_or_axis(x, torch.mean, attrs),
    'norm': lambda x, attrs: x.norm(int(attrs.get('p', 2))),
    'reshape': lambda x, attrs: x.reshape([int(d) for d in attrs['shape']]),
}

OP_NAMES = sorted([*UNARY, *BINARY, *ATTR_OPS])


def evaluate(node, inputs):
    op = node['op']
    if op == 'input':
        return inputs[node['name']]
    if op == 'const':
        return torch.tensor(float(node['value']))
    args = [evaluate(a, inputs) for a in node['args']]
    if op in UNARY:
        return UNARY[op](*args)
    if op in BINARY:
        return BINARY[op](*args)
    if op in ATTR_OPS:
        return ATTR_OPS[op](args[0], node.get('attrs') or {})
    raise ValueError(f"unknown op '{op}'")


def is_graph_released(error):
    return 'backward through the graph a second time' in str(error)


def run_expr(case):
    inputs = {
        name: tensor_of(t['data'], t['shape']).requires_grad_(bool(t['requiresGrad']))
        for name, t in case['inputs'].items()
    }
    out = evaluate(case['graph'], inputs)
    result = {'value': {'shape': list(out.shape), 'data': flat(out)}}
    error = None
    if out.requires_grad:
        seed = None if case.get('seed') is None else tensor_of(case['seed'], out.shape)
        plan = case.get('backward') or {'times': 1, 'retainGraph': False}
        try:
            out.backward(seed, retain_graph=bool(plan['retainGraph']))
            if plan['times'] == 2:
                out.backward(seed)
        except RuntimeError as e:
            if not is_graph_released(e):
                raise
            error = {'kind': 'graph-released', 'message': str(e)}
    result['grads'] = {
        name: (None if t.grad is None else flat(t.grad)) for name, t in inputs.items() if t.requires_grad
    }
    if error is not None:
        result['error'] = error
    return result


# ---------------------------------------------------------------- penalty recipes, as user code
# Each mirrors src/regularize/recipes.ts operation for operation, so the values and the graph
# are what that user code builds in PyTorch.


def sum_of_terms(params, term):
    total = None
    for W in params:
        total = term(W) if total is None else total + term(W)
    if total is None:
        raise ValueError('penalty: no parameters to penalize (did a filter exclude all of them?)')
    return total


def half_pow_sum(params, lam, start):
    return lam * (0.5 * sum_of_terms(params, lambda W: W.pow(2).sum()))


def pow_sum(params, lam, start):
    return lam * sum_of_terms(params, lambda W: W.pow(2).sum())


def half_norm_squared(params, lam, start):
    return lam * sum_of_terms(params, lambda W: 0.5 * W.norm(2) ** 2)


def norm_squared(params, lam, start):
    return lam * sum_of_terms(params, lambda W: W.norm(2) ** 2)


def norm(params, lam, start):
    return lam * sum_of_terms(params, lambda W: W.norm(2))


def norm_from_zero(params, lam, start):
    l2_reg = 0
    for W in params:
        l2_reg += W.norm(2)
    return lam * l2_reg


def norm_item(params, lam, start):
    l2_reg = 0
    for W in params:
        l2_reg += W.norm(2).item()
    return lam * l2_reg


def norm_uninit_leaf(params, lam, start):
    # Stands for Variable(torch.FloatTensor(1), requires_grad=True): a leaf holding whatever the
    # memory held, which the case fixes as `start` so that runs are reproducible.
    l2_reg = torch.tensor(float(start), requires_grad=True)
    for W in params:
        l2_reg = l2_reg + W.norm(2)
    return lam * l2_reg


def l1(params, lam, start):
    return lam * sum_of_terms(params, lambda W: W.abs().sum())


RECIPES = {
    'half-pow-sum': half_pow_sum,
    'pow-sum': pow_sum,
    'half-norm-squared': half_norm_squared,
    'norm-squared': norm_squared,
    'norm': norm,
    'norm-from-zero': norm_from_zero,
    'norm-item': norm_item,
    'norm-uninit-leaf': norm_uninit_leaf,
    'l1': l1,
}

# ---------------------------------------------------------------- training cases


def build_model(spec):
    layers = []
    width = spec['inputSize']
    for layer in spec['layers']:
        layers.append(torch.nn.Linear(width, layer['outFeatures']))
        if layer['activation'] == 'relu':
            layers.append(torch.nn.ReLU())
        elif layer['activation'] == 'tanh':
            layers.append(torch.nn.Tanh())
        elif layer['activation'] != 'identity':
            raise ValueError(f"unknown activation '{layer['activation']}'")
        width = layer['outFeatures']
    return torch.nn.Sequential(*layers)


def select(model, which):
    named = list(model.named_parameters())
    if which == 'all':
        return [W for _, W in named]
    if which == 'weights':
        return [W for name, W in named if name.endswith('weight')]
    if which == 'biases':
        return [W for name, W in named if name.endswith('bias')]
    raise ValueError(f"unknown parameter selection '{which}'")


OPTIMIZERS = {
    'sgd': lambda params, o: torch.optim.SGD(
        params, lr=o['lr'], momentum=o['momentum'], dampening=o['dampening'], weight_decay=o['weightDecay'],
        nesterov=o['nesterov'], maximize=o['maximize']),
    'adam': lambda params, o: torch.optim.Adam(
        params, lr=o['lr'], betas=tuple(o['betas']), eps=o['eps'], weight_decay=o['weightDecay'],
        amsgrad=o['amsgrad'], maximize=o['maximize']),
    'adamw': lambda params, o: torch.optim.AdamW(
        params, lr=o['lr'], betas=tuple(o['betas']), eps=o['eps'], weight_decay=o['weightDecay'],
        amsgrad=o['amsgrad'], maximize=o['maximize']),
    'rmsprop': lambda params, o: torch.optim.RMSprop(
        params, lr=o['lr'], alpha=o['alpha'], eps=o['eps'], weight_decay=o['weightDecay'],
        momentum=o['momentum'], centered=o['centered'], maximize=o['maximize']),
    'adagrad': lambda params, o: torch.optim.Adagrad(
        params, lr=o['lr'], lr_decay=o['lrDecay'], weight_decay=o['weightDecay'],
        initial_accumulator_value=o['initialAccumulatorValue'], eps=o['eps'], maximize=o['maximize']),
}


def make_optimizer(model, case):
    spec = case['optimizer']
    if spec['kind'] not in OPTIMIZERS:
        raise ValueError(f"PyTorch 1.13 has no optimizer '{spec['kind']}' (this adapter runs {', '.join(OPTIMIZERS)})")
    groups = case.get('groups')
    if groups is None:
        params = model.parameters()
    else:
        params = [{'params': select(model, g['select']), 'weight_decay': g['weightDecay']} for g in groups]
    return OPTIMIZERS[spec['kind']](params, spec)


def run_train(case):
    model = build_model(case['model'])
    named = list(model.named_parameters())
    with torch.no_grad():
        for name, p in named:
            p.copy_(tensor_of(case['init'][name], p.shape))
    x = torch.tensor(case['data']['x'], dtype=torch.float64)
    y = torch.tensor(case['data']['y'], dtype=torch.float64)
    criterion = torch.nn.MSELoss(reduction=case['loss']['reduction'])
    optimizer = make_optimizer(model, case)
    penalty = case.get('penalty')
    recipe = None if penalty is None else RECIPES[penalty['recipe']]
    # The parameters are the same tensors at every step (the optimizer updates them in place), so
    # the penalty's selection is made once.
    penalized = None if penalty is None else select(model, penalty['select'])
    # Each step's loss, gradients and parameters are kept as tensors (copies: zero_grad() and the
    # optimizer reuse theirs) and turned into lists once at the end, each parameter's steps together.
    losses, grads, params = [], [], []
    for _ in range(case['steps']):
        if case['zeroGrad']:
            optimizer.zero_grad()
        loss = criterion(model(x), y)
        if penalty is not None:
            reg = recipe(penalized, penalty['lambda'], penalty.get('start'))
            loss = loss + reg if penalty['sign'] == 'add' else loss - reg
        loss.backward()
        losses.append(loss.detach())
        grads.append([torch.zeros_like(p) if p.grad is None else p.grad.clone() for _, p in named])
        optimizer.step()
        params.append([p.detach().clone() for _, p in named])
    return {'losses': torch.stack(losses).tolist() if losses else [],
            'grads': snapshots(named, grads), 'params': snapshots(named, params)}


def snapshots(named, steps):
    """[{name: flat values}] per step, from each step's list of tensors (in named's order)."""
    if not steps:
        return []
    columns = [torch.stack(column).reshape(len(steps), -1).tolist() for column in zip(*steps)]
    names = [name for name, _ in named]
    return [dict(zip(names, row)) for row in zip(*columns)]


# ---------------------------------------------------------------- what this adapter declares


def fuses_multiply_add():
    """Whether torch's add(b, alpha=c), the primitive of SGD's update, rounds a + c·b once.

    (1 + 2⁻⁵²)² = 1 + 2⁻⁵¹ + 2⁻¹⁰⁴: added to −(1 + 2⁻⁵¹) in one rounding it leaves 2⁻¹⁰⁴, while
    rounding the product first drops the 2⁻¹⁰⁴ and leaves 0.
    """
    c = 1.0 + 2.0 ** -52
    return torch.tensor([-(1.0 + 2.0 ** -51)]).add(torch.tensor([c]), alpha=c).item() != 0.0


# Each optimizer's options with an "off" value (regproof's capability `<kind>:<option>` is a case
# that turns one on); every one of them is a torch.optim argument above.
OPTIONS = {
    'sgd': ['momentum', 'dampening', 'nesterov', 'maximize', 'weightDecay'],
    'adam': ['amsgrad', 'maximize', 'weightDecay'],
    'adamw': ['amsgrad', 'maximize', 'weightDecay'],
    'rmsprop': ['momentum', 'centered', 'maximize', 'weightDecay'],
    'adagrad': ['lrDecay', 'initialAccumulatorValue', 'maximize', 'weightDecay'],
}


def capabilities():
    """Every capability the handshake declares: this list alone says what the adapter supports."""
    caps = [f'op:{name}' for name in OP_NAMES] + [f'recipe:{name}' for name in RECIPES]
    caps += [f'optimizer:{kind}' for kind in OPTIMIZERS]
    caps += [f'{kind}:{option}' for kind in OPTIMIZERS for option in OPTIONS[kind]]
    caps += ['layer:linear', 'act:relu', 'act:tanh', 'loss:mse:mean', 'loss:mse:sum', 'train:groups', 'train:noZeroGrad']
    caps += ['graph:retainGraph', 'graph:releasesSaved', 'graph:accumulates']
    if fuses_multiply_add():
        caps.append('convention:fused-multiply-add')
    return caps


def main():
    serve(name='torch', version=torch.__version__, dtype='float64', capabilities=capabilities(), expr=run_expr, train=run_train)


if __name__ == '__main__':
    main()
