"""Stacks on a Kubernetes cluster: one namespace each, made from the plan's manifests."""
