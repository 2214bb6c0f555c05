"""A simulated municipality whose systems export real-looking data, with its ground truth."""
