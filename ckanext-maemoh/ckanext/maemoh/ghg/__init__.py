"""The greenhouse-gas inventory as a background job, and the guidance read back
from it."""
