"""Azure Resource Manager sources: VM sizes per region and the VMs a subscription runs.

Both go through azure-mgmt-compute's ``ComputeManagementClient`` with a credential from
azure-identity (``DefaultAzureCredential`` unless one is given). ``PLANNER_ARM_ENDPOINT``
(or the `arm_endpoint` argument) points the client elsewhere, e.g. a stand-in in tests;
plain http is allowed only for a loopback host, since a bearer token crosses that link.
Every SDK failure leaves here as a :class:`planner.inputs.sources.SourceError`.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.parse
from typing import Any, Callable, Iterator, Optional, TypeVar

from planner.inputs.sources import (
    CredentialError,
    RunningVm,
    ServiceError,
    SkuInfo,
    SourceError,
)

ARM_ENDPOINT_ENV = "PLANNER_ARM_ENDPOINT"
DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
LOGIN_HINT = (
    "sign in with `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET "
    "(or use a managed identity)"
)

T = TypeVar("T")


def default_credential() -> Any:
    """azure-identity's DefaultAzureCredential (environment, managed identity, Azure CLI, ...)."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(exclude_interactive_browser_credential=True)


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _attr(obj: Any, *path: str) -> Any:
    """obj.a.b.c, or None where a step is missing (SDK models differ across versions)."""
    for name in path:
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj


def _str(value: Any) -> str:
    """A plain string from an SDK string or enum member (str() of a str-enum is its qualified name)."""
    return str(getattr(value, "value", value) or "")


def _source_error(exc: BaseException, what: str) -> SourceError:
    """One clear, one-line error for anything the SDK or azure-identity raised."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        DecodeError,
        DeserializationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
        return CredentialError(f"no usable Azure credential for {what}: {_first_line(exc)}. To fix: {LOGIN_HINT}")
    if isinstance(exc, (DecodeError, DeserializationError, ValueError)):
        return ServiceError(f"malformed answer from Azure Resource Manager while {what}: {_first_line(exc)}")
    if isinstance(exc, HttpResponseError):
        status = exc.status_code
        code = _attr(exc, "error", "code") or ""
        detail = f"HTTP {status}{' ' + code if code else ''}"
        if status in (401, 403):
            return CredentialError(f"Azure rejected the credentials while {what} ({detail}). To fix: {LOGIN_HINT}")
        return ServiceError(f"Azure Resource Manager failed while {what} ({detail}): {_first_line(exc)}")
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return ServiceError(f"cannot reach Azure Resource Manager while {what}: {_first_line(exc)}")
    return ServiceError(f"Azure call failed while {what}: {exc.__class__.__name__}: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].rstrip(". ") if text else exc.__class__.__name__


class _ArmSource:
    """What both ARM sources share: the client, its endpoint and the error mapping."""

    def __init__(
        self,
        subscription_id: str,
        *,
        credential: Any = None,
        arm_endpoint: Optional[str] = None,
        credential_factory: Optional[Callable[[], Any]] = None,
        retry_total: int = 4,
    ) -> None:
        if not subscription_id:
            raise SourceError("no Azure subscription given: pass --subscription ID or set AZURE_SUBSCRIPTION_ID")
        self.subscription_id = subscription_id
        self.arm_endpoint = (arm_endpoint or os.environ.get(ARM_ENDPOINT_ENV) or DEFAULT_ARM_ENDPOINT).rstrip("/")
        scheme = urllib.parse.urlsplit(self.arm_endpoint).scheme
        if scheme != "https" and not (scheme == "http" and _is_loopback(self.arm_endpoint)):
            raise ServiceError(f"ARM endpoint {self.arm_endpoint} must be https (plain http only on loopback)")
        self._credential = credential
        self._credential_factory = credential_factory
        self._retry_total = retry_total
        self._client: Any = None
        # azure-core refuses bearer tokens over http; a loopback stand-in is the one exception we make.
        self._call_options: dict[str, Any] = {"enforce_https": False} if scheme == "http" else {}

    def _compute(self) -> Any:
        if self._client is None:
            from azure.mgmt.compute import ComputeManagementClient

            if self._credential is None:
                self._credential = (self._credential_factory or default_credential)()
            self._client = ComputeManagementClient(
                self._credential,
                self.subscription_id,
                base_url=self.arm_endpoint,
                retry_total=self._retry_total,
            )
        return self._client

    def _guarded(self, what: str, items: Callable[[], Iterator[T]]) -> Iterator[T]:
        """Iterate `items()`, turning any SDK failure (also mid-paging) into a SourceError."""
        try:
            yield from items()
        except SourceError:
            raise
        except Exception as exc:  # the SDK raises many unrelated types; each becomes one clear line
            raise _source_error(exc, what) from None


class AzureSkuSource(_ArmSource):
    """VM sizes per region from ``resource_skus.list(filter="location eq '…'")``."""

    def vm_skus(self, region: str) -> Iterator[SkuInfo]:
        def items() -> Iterator[SkuInfo]:
            pages = self._compute().resource_skus.list(filter=f"location eq '{region}'", **self._call_options)
            for sku in pages:
                info = sku_info(sku, region)
                if info is not None:
                    yield info

        return self._guarded(f"listing VM sizes in {region}", items)


def sku_info(sku: Any, region: str) -> Optional[SkuInfo]:
    """A SkuInfo from an SDK ResourceSku, or None when it is not a VM size with a known shape."""
    if _str(_attr(sku, "resource_type")).lower() != "virtualmachines" or not _attr(sku, "name"):
        return None
    caps = {_str(_attr(c, "name")): _str(_attr(c, "value")) for c in (_attr(sku, "capabilities") or [])}
    try:
        # Constrained-core sizes (E8-2s_v5) expose fewer vCPUs than they bill for: plan on what runs.
        vcpu = int(float(caps.get("vCPUsAvailable") or caps["vCPUs"]))
        memory = float(caps["MemoryGB"])
    except (KeyError, ValueError):
        return None
    restricted = any(
        _str(_attr(r, "type")).lower() == "location" for r in (_attr(sku, "restrictions") or [])
    )
    return SkuInfo(_str(sku.name), region, vcpu, memory, family=_str(_attr(sku, "family")), restricted=restricted)


class AzureVmInventorySource(_ArmSource):
    """The subscription's VMs from ``virtual_machines.list_all()``."""

    def running_vms(self) -> Iterator[RunningVm]:
        def items() -> Iterator[RunningVm]:
            for vm in self._compute().virtual_machines.list_all(**self._call_options):
                yield running_vm(vm)

        return self._guarded(f"listing the VMs of subscription {self.subscription_id}", items)


def running_vm(vm: Any) -> RunningVm:
    """A RunningVm from an SDK VirtualMachine."""
    vm_id = str(_attr(vm, "id") or "")
    parts = vm_id.split("/")
    resource_group = ""
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "resourcegroups":
            resource_group = parts[i + 1]
    os_disk_gb = _attr(vm, "storage_profile", "os_disk", "disk_size_gb")
    data_disks = tuple(
        None if _attr(d, "disk_size_gb") is None else float(_attr(d, "disk_size_gb"))
        for d in (_attr(vm, "storage_profile", "data_disks") or [])
    )
    return RunningVm(
        name=_str(_attr(vm, "name")),
        region=_str(_attr(vm, "location")).replace(" ", "").lower(),
        size=_str(_attr(vm, "hardware_profile", "vm_size")),
        id=vm_id,
        resource_group=resource_group,
        os_type=_str(_attr(vm, "storage_profile", "os_disk", "os_type")),
        os_disk_gb=None if os_disk_gb is None else float(os_disk_gb),
        data_disks_gb=data_disks,
        tags={str(k): str(v) for k, v in (_attr(vm, "tags") or {}).items()},
    )
