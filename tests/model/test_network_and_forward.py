import numpy as np
import torch

from flowae.model.forward import layer_plan, layers_from_tensors, reconstruction_error
from flowae.model.network import Autoencoder


def test_paper_shape_and_activations():
    network = Autoencoder(16)
    linear = [m for m in network.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [
        (16, 12),
        (12, 8),
        (8, 5),
        (5, 2),
        (2, 5),
        (5, 8),
        (8, 12),
        (12, 16),
    ]
    assert isinstance(network.encoder[-1], torch.nn.ReLU)  # the 2-unit code layer too
    assert isinstance(network.decoder[-1], torch.nn.Sigmoid)
    out = network(torch.rand(4, 16))
    out = out.detach()
    assert out.shape == (4, 16) and float(out.min()) >= 0 and float(out.max()) <= 1


def test_numpy_scoring_matches_torch_to_1e_6():
    torch.manual_seed(1)  # test-local: only builds a random network to compare the two paths
    network = Autoencoder(11, (12, 8, 5, 2))
    x = np.random.default_rng(0).random((500, 11), dtype=np.float32) * 1.5 - 0.2
    with torch.no_grad():
        xt = torch.from_numpy(x)
        expected = ((network(xt) - xt) ** 2).mean(dim=1).numpy()
    tensors = {k: v.numpy() for k, v in network.state_dict().items()}
    names, activations = layer_plan(4)
    layers = layers_from_tensors(tensors, names, activations)
    got = reconstruction_error(layers, x, chunk_rows=128)
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)
