"""Azure implementations of :mod:`planner.inputs.sources`: the only package that imports ``azure``.

The SDK is imported lazily, inside the calls that need it, so importing this package is cheap.
"""

from planner.inputs.azure.arm import (
    ARM_ENDPOINT_ENV,
    AzureSkuSource,
    AzureVmInventorySource,
    default_credential,
)
from planner.inputs.azure.prices import PRICES_ENDPOINT_ENV, RetailPriceSource

__all__ = [
    "ARM_ENDPOINT_ENV",
    "PRICES_ENDPOINT_ENV",
    "AzureSkuSource",
    "AzureVmInventorySource",
    "RetailPriceSource",
    "default_credential",
]
