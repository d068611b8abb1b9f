"""PhotoSearch: find photos by meaning, offline."""

from photosearch.privacy import silence_telemetry

silence_telemetry()  # before anything can import onnxruntime or openvino
