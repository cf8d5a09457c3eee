"""powerbridge: bring IBM Power (PowerVC) resources into your cloud platform."""

__version__ = "0.1.0"
