"""AWS CDK (Python) infrastructure of Brain in Cup: see cdk/README.md."""
