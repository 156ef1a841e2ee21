"""W2LE Live: real-time facial emotion translation as a virtual webcam."""

__version__ = "0.1.0"
