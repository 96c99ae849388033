"""flowae: unsupervised deep-autoencoder detection of IoT botnet traffic in flows."""

__version__ = "0.1.0"
