"""Recommendation models shared by the shop (``shop.recsys.service``) and the offline benchmark.

Everything here works on integer item indices and chronological user histories, so the same code is
benchmarked on public data (Amazon Beauty) and shipped in the shop:

- ``interactions``: histories -> sparse user-item matrices (binary and recency-weighted).
- ``scorers``: popularity, item-kNN, ALS and BPR baselines (``implicit``) behind one interface.
- ``hybrid``: the shipped collaborative model, ALS blended with recency-weighted item-kNN.
- ``evaluation``: leave-one-out split and full-ranking HIT@K / NDCG@K.
- ``amazon_beauty``: the loader of the public benchmark file.
"""
