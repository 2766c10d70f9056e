"""Developer tools, never part of the published pipeline: the fake Hub, benchmarks, comparisons."""
