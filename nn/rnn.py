"""Recurrent layers ``RNN`` (tanh or relu) and ``LSTM`` with PyTorch's parameters and calls.

Parameters per layer ``k`` (and direction, ``_reverse`` suffix when bidirectional):
``weight_ih_l{k}`` ``(G*hidden, input)``, ``weight_hh_l{k}`` ``(G*hidden, hidden)``,
``bias_ih_l{k}``, ``bias_hh_l{k}`` with ``G = 1`` (RNN) or ``4`` (LSTM, gates in PyTorch's order
input, forget, cell, output), all initialised ``U(-1/sqrt(hidden), 1/sqrt(hidden))``. Inputs are
sequence-first ``(L, N, input)`` unless ``batch_first=True``; unbatched ``(L, input)`` works too.
Backpropagation through time is the engine's ordinary backward through the unrolled loop.
"""

# ruff: noqa: A001, A002 - `input` is PyTorch's argument name, kept for keyword calls

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_engine as ag

from . import functional as F
from . import init
from ._ops import cast_input, split
from .module import Module
from .parameter import Parameter

Tensor = ag.Tensor


class _RNNBase(Module):
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: Any = np.float32) -> None:
        super().__init__()
        name = type(self).__name__
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size),
                           ("num_layers", num_layers)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise TypeError(f"{name}: {arg} must be an int, got {value!r}")
        if hidden_size < 1:
            raise ValueError(f"{name}: hidden_size must be greater than zero, got {hidden_size}")
        if input_size < 0:
            raise ValueError(f"{name}: input_size must be non-negative, got {input_size}")
        if num_layers < 1:
            raise ValueError(f"{name}: num_layers must be at least 1, got {num_layers}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be in [0, 1], got {dropout}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.bias, self.batch_first = int(num_layers), bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.dtype = np.dtype(dtype)
        G, H = self._gates, self.hidden_size
        D = 2 if bidirectional else 1
        self._names = []
        for layer in range(self.num_layers):
            n_in = self.input_size if layer == 0 else H * D
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                names = [f"weight_ih{sfx}", f"weight_hh{sfx}"]
                setattr(self, names[0], Parameter(np.empty((G * H, n_in), dtype=self.dtype)))
                setattr(self, names[1], Parameter(np.empty((G * H, H), dtype=self.dtype)))
                if bias:
                    names += [f"bias_ih{sfx}", f"bias_hh{sfx}"]
                    setattr(self, names[2], Parameter(np.empty(G * H, dtype=self.dtype)))
                    setattr(self, names[3], Parameter(np.empty(G * H, dtype=self.dtype)))
                self._names.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def _weights(self, layer: int, d: int) -> tuple:
        names = self._names[layer * (2 if self.bidirectional else 1) + d]
        w = [getattr(self, n) for n in names]
        return (w[0], w[1], w[2], w[3]) if self.bias else (w[0], w[1], None, None)

    def _prepare(self, input: Any, hx: Any) -> tuple[Tensor, bool, int]:
        x = cast_input(input, self.dtype)
        name = type(self).__name__
        if x.ndim not in (2, 3):
            raise ValueError(f"{name}: expected input of shape (L, N, {self.input_size}) "
                             f"(or (N, L, ...) with batch_first, or unbatched (L, ...)), got {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has {x.shape[-1]} features on its last axis, the layer "
                             f"expects input_size={self.input_size}")
        batched = x.ndim == 3
        if not batched:
            x = x.reshape(x.shape[0], 1, x.shape[1])
        elif self.batch_first:
            x = x.transpose(1, 0, 2)
        return x, batched, x.shape[1]

    def _state(self, h: Any, n: int, batched: bool, what: str) -> Tensor:
        D = 2 if self.bidirectional else 1
        shape = (self.num_layers * D, n, self.hidden_size)
        if h is None:
            return ag.Tensor(np.zeros(shape, dtype=self.dtype))
        h = cast_input(h, self.dtype)
        if not batched:
            h = h.reshape(h.shape[0], 1, *h.shape[1:]) if h.ndim == 2 else h
        if h.shape != shape:
            raise ValueError(f"{type(self).__name__}: expected {what} of shape {shape}"
                             f"{' (unbatched: without N)' if not batched else ''}, got {h.shape}")
        return h

    def _run(self, x: Tensor, states: list[tuple]) -> tuple[Tensor, list[tuple]]:
        """Run all layers; ``states[layer*D + d]`` is the initial state tuple of each cell."""
        D = 2 if self.bidirectional else 1
        L = x.shape[0]
        finals = []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, d)
                proj = split(F.linear(layer_input, w_ih, b_ih), L, axis=0, squeeze=True)
                state = states[layer * D + d]
                seq = [None] * L
                for t in (range(L - 1, -1, -1) if d else range(L)):
                    state = self._cell(proj[t], state, w_hh, b_hh)
                    seq[t] = state[0]
                outs.append(ag.stack(seq, axis=0))
                finals.append(state)
            layer_input = outs[0] if len(outs) == 1 else ag.concatenate(outs, axis=2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, finals

    def _finish(self, out: Tensor, batched: bool) -> Tensor:
        if not batched:
            return out.reshape(out.shape[0], out.shape[2])
        if self.batch_first:
            return out.transpose(1, 0, 2)
        return out

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu).

    ``rnn(x, h0=None) -> (output, h_n)`` with ``output`` ``(L, N, D*hidden)`` (``(N, L, ...)`` if
    ``batch_first``) and ``h_n`` ``(num_layers*D, N, hidden)``; ``h0`` defaults to zeros.

    >>> import autograd_engine as ag
    >>> import nn
    >>> rnn = nn.RNN(3, 5, num_layers=2)
    >>> out, h = rnn(ag.randn(7, 4, 3))
    >>> out.shape, h.shape
    ((7, 4, 5), (2, 4, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype: Any = np.float32) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)

    def _cell(self, xp: Tensor, state: tuple, w_hh: Tensor, b_hh: Tensor | None) -> tuple:
        pre = xp + F.linear(state[0], w_hh, b_hh)
        return (pre.tanh() if self.nonlinearity == "tanh" else pre.relu(),)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        x, batched, n = self._prepare(input, hx)
        h0 = self._state(hx, n, batched, "h0")
        states = [(h,) for h in split(h0, h0.shape[0], axis=0, squeeze=True)]
        out, finals = self._run(x, states)
        h_n = ag.stack([s[0] for s in finals], axis=0)
        if not batched:
            h_n = h_n.reshape(h_n.shape[0], h_n.shape[2])
        return self._finish(out, batched), h_n

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(_RNNBase):
    """Long short-term memory with PyTorch's gate order (input, forget, cell, output):
    ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)``.

    ``lstm(x, (h0, c0)=None) -> (output, (h_n, c_n))``; shapes as for :class:`RNN`.

    >>> import autograd_engine as ag
    >>> import nn
    >>> lstm = nn.LSTM(3, 5, batch_first=True)
    >>> out, (h, c) = lstm(ag.randn(4, 7, 3))
    >>> out.shape, h.shape, c.shape
    ((4, 7, 5), (1, 4, 5), (1, 4, 5))
    >>> lstm.weight_ih_l0.shape
    (20, 3)
    """

    _gates = 4

    def _cell(self, xp: Tensor, state: tuple, w_hh: Tensor, b_hh: Tensor | None) -> tuple:
        h, c = state
        gates = xp + F.linear(h, w_hh, b_hh)
        i, f, g, o = split(gates, 4, axis=-1)
        c = i.sigmoid() * g.tanh() + f.sigmoid() * c
        h = o.sigmoid() * c.tanh()
        return h, c

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        x, batched, n = self._prepare(input, hx)
        if hx is None:
            h0 = c0 = self._state(None, n, batched, "h0")
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM: the initial state must be a tuple (h0, c0)")
            h0 = self._state(hx[0], n, batched, "h0")
            c0 = self._state(hx[1], n, batched, "c0")
        k = h0.shape[0]
        states = list(zip(split(h0, k, axis=0, squeeze=True), split(c0, k, axis=0, squeeze=True)))
        out, finals = self._run(x, states)
        h_n = ag.stack([s[0] for s in finals], axis=0)
        c_n = ag.stack([s[1] for s in finals], axis=0)
        if not batched:
            h_n = h_n.reshape(h_n.shape[0], h_n.shape[2])
            c_n = c_n.reshape(c_n.shape[0], c_n.shape[2])
        return self._finish(out, batched), (h_n, c_n)
