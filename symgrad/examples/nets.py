"""Example PyTorch models for ``symgrad collapse --torch nets.py:FACTORY``.

``python -m symgrad.examples.nets > nets.py`` writes this file into the current folder.
"""

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def constant_mlp():
    """Every weight and bias 0.01: the 128 hidden neurons start identical."""
    model = MLP()
    for p in model.parameters():
        nn.init.constant_(p, 0.01)
    return model


def constant_cnn():
    """A LeNet-style CNN with every parameter 0.05."""
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(),
        nn.Linear(120, 10),
    )
    for p in model.parameters():
        nn.init.constant_(p, 0.05)
    return model


def duplicated_row():
    """Random init, except that neuron 5 of fc1 got a copy of neuron 3's incoming weights."""
    torch.manual_seed(0)
    model = MLP()
    with torch.no_grad():
        model.fc1.weight[5] = model.fc1.weight[3]
    return model


def duplicated_neuron():
    """Random init, except that neuron 5 of fc1 is a full copy of neuron 3 (in and out)."""
    model = duplicated_row()
    with torch.no_grad():
        model.fc1.bias[5] = model.fc1.bias[3]
        model.fc2.weight[:, 5] = model.fc2.weight[:, 3]
    return model


class ResidualMLP(nn.Module):
    """A residual stream: every block writes into the units of the input layer."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(16, 32)
        self.block1 = nn.Linear(32, 32)
        self.block2 = nn.Linear(32, 32)
        self.head = nn.Linear(32, 4)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        h = h + torch.tanh(self.block1(h))
        h = h + torch.tanh(self.block2(h))
        return self.head(h)


def constant_residual():
    """The residual MLP with every parameter 0.05."""
    return _constant(ResidualMLP(), 0.05)


class Encoder(nn.Module):
    """Token features, multi-head self-attention, a mean over positions, a linear head."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(8, 16)
        self.attention = nn.MultiheadAttention(16, 4, batch_first=True)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        e = torch.tanh(self.embed(x))
        a, _ = self.attention(e, e, e)
        return self.head(a.mean(dim=1))


def constant_attention():
    """The attention encoder with every parameter 0.05: its 4 heads start identical."""
    return _constant(Encoder(), 0.05)


class Recurrent(nn.Module):
    """An LSTM over a short sequence; the last output feeds a linear head."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 8, batch_first=True)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.head(output[:, -1])


def constant_lstm():
    """The LSTM with every parameter 0.05: its 8 hidden units start identical."""
    return _constant(Recurrent(), 0.05)


class SkipGram(nn.Module):
    """word2vec's skip-gram: a word's input embedding scored against every output embedding."""

    def __init__(self, vocabulary=50, dimension=8):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, dimension)
        self.output = nn.Linear(dimension, vocabulary, bias=False)

    def forward(self, words):
        return self.output(self.embedding(words))


def word2vec_zero():
    """Both embeddings at zero (the question of the Q&A threads)."""
    return _constant(SkipGram(), 0.0)


def word2vec_half_zero():
    """The input embedding at zero, the output embedding random."""
    torch.manual_seed(0)
    model = SkipGram()
    nn.init.zeros_(model.embedding.weight)
    return model


def dropout_train():
    """A constant MLP returned in train() mode, with dropout after its hidden layer."""
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 4))
    return _constant(model, 0.05).train()


class TwoTowers(nn.Module):
    """Two sub-networks of the same shape whose outputs are added."""

    def __init__(self):
        super().__init__()
        self.left = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 4))
        self.right = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 4))

    def forward(self, x):
        return self.left(x) + self.right(x)


def twin_towers():
    """Random init, except that the right tower is a copy of the left one."""
    torch.manual_seed(0)
    model = TwoTowers()
    model.right.load_state_dict(model.left.state_dict())
    return model


def _constant(model, value):
    for p in model.parameters():
        nn.init.constant_(p, value)
    return model


if __name__ == "__main__":
    from pathlib import Path

    print(Path(__file__).read_text(), end="")
