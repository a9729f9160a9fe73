"""Everyday PyTorch models for the tests: residual MLPs, attention, recurrent nets,
embeddings, normalisation, identical branches (each a small instance of what people write)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


class ResidualMLP(nn.Module):
    """x -> relu(inp(x)) -> h + tanh(f(h)) twice -> out: the residual stream's units meet the
    input layer's, so they move together with it."""

    def __init__(self, width: int = 6) -> None:
        super().__init__()
        self.inp, self.out = nn.Linear(4, width), nn.Linear(width, 2)
        self.f1, self.f2 = nn.Linear(width, width), nn.Linear(width, width)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        h = h + torch.tanh(self.f1(h))
        h = h + torch.tanh(self.f2(h))
        return self.out(h)


class ResidualBlock(nn.Module):
    """x + W2 relu(W1 x): the block's hidden units are free, the stream is the input's."""

    def __init__(self) -> None:
        super().__init__()
        self.w1, self.w2 = nn.Linear(4, 6), nn.Linear(6, 4)

    def forward(self, x):
        return x + self.w2(torch.relu(self.w1(x)))


class UsedTwice(nn.Module):
    """One module applied twice: its rows and columns are the same units."""

    def __init__(self) -> None:
        super().__init__()
        self.inp, self.f, self.out = nn.Linear(4, 5), nn.Linear(5, 5), nn.Linear(5, 1)

    def forward(self, x):
        h = torch.tanh(self.inp(x))
        return self.out(torch.tanh(self.f(torch.tanh(self.f(h)))))


class Branches(nn.Module):
    """Two branches side by side, concatenated."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.out = nn.Linear(4, 3), nn.Linear(4, 3), nn.Linear(6, 2)

    def forward(self, x):
        return self.out(torch.cat([torch.tanh(self.a(x)), torch.tanh(self.b(x))], 1))


class TwoNets(nn.Module):
    """Two sub-networks whose outputs are added."""

    def __init__(self) -> None:
        super().__init__()
        self.n1 = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))
        self.n2 = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))

    def forward(self, x):
        return self.n1(x) + self.n2(x)


class Attention(nn.Module):
    """Hand-written multi-head self-attention (view, transpose, matmul, softmax, d // heads),
    optionally causal through a registered mask."""

    def __init__(self, d: int = 8, heads: int = 2, causal: bool = False, length: int = 3):
        super().__init__()
        self.qkv, self.o, self.head = nn.Linear(d, 3 * d), nn.Linear(d, d), nn.Linear(d, 2)
        self.heads, self.causal = heads, causal
        self.register_buffer("mask", torch.tril(torch.ones(length, length)).view(1, 1, length,
                                                                                   length))  # fmt: skip

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        if self.causal:
            scores = scores.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
        y = (F.softmax(scores, dim=-1) @ v).transpose(1, 2).contiguous().view(b, t, c)
        return self.head(self.o(y).mean(1))


class MHA(nn.Module):
    def __init__(self, d: int = 8, heads: int = 2) -> None:
        super().__init__()
        self.inp, self.head = nn.Linear(3, d), nn.Linear(d, 2)
        self.att = nn.MultiheadAttention(d, heads, batch_first=True)

    def forward(self, x):
        e = torch.tanh(self.inp(x))
        a, _ = self.att(e, e, e)
        return self.head(a.mean(1))


class SkipGram(nn.Module):
    """word2vec skip-gram with negative sampling: (centre, context) index pairs, a score per
    pair, binary cross-entropy with logits."""

    def __init__(self, vocabulary: int = 10, dimension: int = 4) -> None:
        super().__init__()
        self.centre = nn.Embedding(vocabulary, dimension)
        self.context = nn.Embedding(vocabulary, dimension)

    def forward(self, pairs):
        return (self.centre(pairs[:, 0]) * self.context(pairs[:, 1])).sum(-1)


class SkipGramSoftmax(nn.Module):
    """word2vec skip-gram with a softmax over the vocabulary."""

    def __init__(self, vocabulary: int = 10, dimension: int = 4) -> None:
        super().__init__()
        self.centre = nn.Embedding(vocabulary, dimension)
        self.out = nn.Linear(dimension, vocabulary, bias=False)

    def forward(self, words):
        return self.out(self.centre(words))


class TiedLM(nn.Module):
    """Weight tying through .t(): the embedding is also the output projection."""

    def __init__(self, vocabulary: int = 10, dimension: int = 4) -> None:
        super().__init__()
        self.embedding, self.hidden = nn.Embedding(vocabulary, dimension), nn.Linear(4, 4)

    def forward(self, words):
        return torch.tanh(self.hidden(self.embedding(words))) @ self.embedding.weight.t()


class GRUNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell, self.out = nn.GRUCell(3, 4), nn.Linear(4, 1)

    def forward(self, x):
        h = x.new_zeros(x.shape[0], 4)
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h)
        return self.out(h)


class LSTMCellNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell, self.out = nn.LSTMCell(3, 4), nn.Linear(4, 1)

    def forward(self, x):
        h, c = x.new_zeros(x.shape[0], 4), x.new_zeros(x.shape[0], 4)
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
        return self.out(h)


class LSTMNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm, self.out = nn.LSTM(3, 4, batch_first=True), nn.Linear(4, 1)

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.out(output[:, -1])


class DeepLSTM(nn.Module):
    """Two layers, both directions (the backward direction reads the sequence flipped)."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.out(output[:, -1])


class GRUSeq(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru, self.out = nn.GRU(3, 4, batch_first=True), nn.Linear(4, 1)

    def forward(self, x):
        _, h = self.gru(x)
        return self.out(h[-1])


class Einsum(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w, self.out = nn.Parameter(torch.randn(4, 5) * 0.3), nn.Linear(5, 1)

    def forward(self, x):
        return self.out(torch.tanh(torch.einsum("bi,ih->bh", x, self.w)))


class MeanOverTime(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.f, self.out = nn.Linear(3, 5), nn.Linear(5, 1)

    def forward(self, x):
        return self.out(torch.relu(self.f(x)).mean(dim=1))


class TinyResNet(nn.Module):
    """Conv, batch norm, a residual add, global average pooling, a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4)
        self.c2, self.b2 = nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4)
        self.pool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(4, 3)

    def forward(self, x):
        h = F.relu(self.b1(self.c1(x)))
        h = F.relu(h + self.b2(self.c2(h)))
        return self.fc(torch.flatten(self.pool(h), 1))


def batch_norm_mlp():
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))


def dropout_mlp():
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Dropout(0.3), nn.Linear(6, 6), nn.Tanh(),
                         nn.Linear(6, 1))  # fmt: skip
