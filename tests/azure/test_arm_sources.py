"""The ARM sources drive the real azure-mgmt-compute SDK against the local stand-in."""

from __future__ import annotations

import pytest
from azure.identity import CredentialUnavailableError
from standin import SUBSCRIPTION, FakeCredential, StandIn, sku, vm

from planner.inputs.azure.arm import AzureSkuSource, AzureVmInventorySource
from planner.inputs.sources import (
    CredentialError,
    ServiceError,
    SkuSource,
    SourceError,
    VmInventorySource,
)


def sku_source(standin: StandIn, credential: object) -> AzureSkuSource:
    return AzureSkuSource(SUBSCRIPTION, credential=credential, arm_endpoint=standin.url, retry_total=2)


def test_lists_vm_sizes_across_pages_and_flags_location_restrictions(standin: StandIn, credential: FakeCredential):
    standin.skus = [
        sku("Standard_D2s_v5", 2, 8, "westeurope"),
        sku("Standard_D4s_v5", 4, 16, "westeurope"),
        sku("Standard_E8-2s_v5", 8, 64, "westeurope", available=2, family="standardESv5Family"),
        sku("Standard_M64s_v2", 64, 1024, "westeurope", restricted=True),
        sku("Premium_LRS", 0, 0, "westeurope", rtype="disks"),
        sku("Standard_D2s_v5", 2, 8, "northeurope"),
    ]
    source = sku_source(standin, credential)
    assert isinstance(source, SkuSource)
    got = {s.name: s for s in source.vm_skus("westeurope")}

    assert sorted(got) == ["Standard_D2s_v5", "Standard_D4s_v5", "Standard_E8-2s_v5", "Standard_M64s_v2"]
    assert (got["Standard_D4s_v5"].vcpu, got["Standard_D4s_v5"].memory_gb) == (4, 16.0)
    assert got["Standard_E8-2s_v5"].vcpu == 2  # constrained-core: plan on the vCPUs that run
    assert got["Standard_M64s_v2"].restricted and not got["Standard_D2s_v5"].restricted
    arm = [r for r in standin.requests if r["api"] == "arm"]
    assert len(arm) == 3  # five SKUs in westeurope, two per page
    assert arm[0]["query"]["$filter"] == ["location eq 'westeurope'"]
    assert all(r["headers"]["authorization"] == "Bearer test-token" for r in arm)
    assert credential.scopes[0] == ("https://management.azure.com/.default",)


def test_lists_running_vms_with_sizes_disks_groups_and_tags(standin: StandIn, credential: FakeCredential):
    standin.vms = [
        vm("web-01", "Standard_D2s_v5", data_gb=(256, 512), tags={"app": "crm"}),
        vm("db-01", "Standard_E8s_v5", region="northeurope", rg="rg-db", os_gb=None, data_gb=(None,)),
        vm("web-02", "Standard_D2s_v5"),
    ]
    source = AzureVmInventorySource(SUBSCRIPTION, credential=credential, arm_endpoint=standin.url)
    assert isinstance(source, VmInventorySource)
    got = {v.name: v for v in source.running_vms()}

    assert sorted(got) == ["db-01", "web-01", "web-02"]
    web = got["web-01"]
    assert (web.size, web.region, web.resource_group, web.os_disk_gb, web.data_disks_gb) == (
        "Standard_D2s_v5", "westeurope", "rg-app", 128.0, (256.0, 512.0))
    assert web.tags == {"app": "crm"} and web.os_type == "Linux"
    assert got["db-01"].os_disk_gb is None and got["db-01"].data_disks_gb == (None,)
    assert len([r for r in standin.requests if r["api"] == "arm"]) == 2  # followed nextLink


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_credentials_are_a_credential_error(standin: StandIn, credential: FakeCredential, status: int):
    code = "InvalidAuthenticationToken" if status == 401 else "AuthorizationFailed"
    standin.queue("arm", status, {"error": {"code": code, "message": "The client does not have authorization"}})
    with pytest.raises(CredentialError) as err:
        list(sku_source(standin, credential).vm_skus("westeurope"))
    message = str(err.value)
    assert f"HTTP {status}" in message and "az login" in message and "\n" not in message


def test_a_missing_credential_is_a_credential_error(standin: StandIn):
    broken = FakeCredential(error=CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token"))
    with pytest.raises(CredentialError, match="no usable Azure credential.*az login"):
        list(sku_source(standin, broken).vm_skus("westeurope"))
    assert not standin.requests  # nothing was sent without a token


def test_throttling_is_retried_after_retry_after(standin: StandIn, credential: FakeCredential):
    standin.skus = [sku("Standard_D2s_v5", 2, 8, "westeurope")]
    standin.queue("arm", 429, {"error": {"code": "TooManyRequests", "message": "slow down"}}, {"Retry-After": "0"})
    assert [s.name for s in sku_source(standin, credential).vm_skus("westeurope")] == ["Standard_D2s_v5"]
    assert len(standin.requests) == 2


def test_a_malformed_body_is_a_service_error(standin: StandIn, credential: FakeCredential):
    standin.queue("arm", 200, b"{not json")
    with pytest.raises(ServiceError, match="malformed answer from Azure Resource Manager"):
        list(sku_source(standin, credential).vm_skus("westeurope"))


def test_a_server_error_after_retries_is_a_service_error(standin: StandIn, credential: FakeCredential):
    standin.queue("arm", 500, {"error": {"code": "InternalServerError", "message": "boom"}}, times=5)
    with pytest.raises(ServiceError, match="HTTP 500 InternalServerError"):
        list(AzureSkuSource(SUBSCRIPTION, credential=credential, arm_endpoint=standin.url, retry_total=0)
             .vm_skus("westeurope"))


def test_the_endpoint_comes_from_the_environment(standin: StandIn, credential: FakeCredential,
                                                 monkeypatch: pytest.MonkeyPatch):
    standin.skus = [sku("Standard_D2s_v5", 2, 8, "westeurope")]
    monkeypatch.setenv("PLANNER_ARM_ENDPOINT", standin.url)
    assert len(list(AzureSkuSource(SUBSCRIPTION, credential=credential).vm_skus("westeurope"))) == 1


def test_plain_http_is_refused_off_loopback(credential: FakeCredential):
    with pytest.raises(ServiceError, match="must be https"):
        AzureSkuSource(SUBSCRIPTION, credential=credential, arm_endpoint="http://arm.example.com")
    assert AzureSkuSource(SUBSCRIPTION, credential=credential).arm_endpoint == "https://management.azure.com"


def test_no_subscription_is_a_clear_error():
    with pytest.raises(SourceError, match="--subscription"):
        AzureVmInventorySource("")
