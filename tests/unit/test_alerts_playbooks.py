"""Playbooks: one for every detector and leak kind, with reporting routes for every supported platform."""

from __future__ import annotations

import pytest

from sentinelle.playbooks import Playbook, playbook_for, report_route

LEAK_KINDS = ["credit_card", "iban", "us_ssn", "fr_nir", "phone_number", "email_address", "date_of_birth",
              "medical_record_number", "secret"]
PLATFORMS = ["mastodon", "bluesky", "x", "reddit", "youtube", "rss", "domain"]


@pytest.mark.parametrize("detector,kind", [("scams", "fake_promotion"), ("impersonation", "person_account"),
                                           *(("leaks", k) for k in LEAK_KINDS), ("leaks", "health_diagnosis"),
                                           ("leaks", "policy:no-rate-promises"), ("unknown", "whatever")])
def test_every_kind_has_an_actionable_playbook(detector, kind):
    pb = playbook_for(detector, kind)
    assert isinstance(pb, Playbook) and pb.detector == detector and pb.kind == kind
    assert pb.first_steps() and pb.check and pb.tell and pb.customers
    assert set(pb.reporting) == set(PLATFORMS)


def test_the_playbook_fits_the_kind():
    assert "Payment" in playbook_for("leaks", "credit_card").title
    assert "Health" in playbook_for("leaks", "medical_record_number").title
    assert "Health" in playbook_for("leaks", "health_diagnosis").title
    assert "rotate" in " ".join(playbook_for("leaks", "secret").contain).lower()
    assert "own rules" in playbook_for("leaks", "policy:no-rate-promises").title
    assert any("data protection officer" in t for t in playbook_for("leaks", "fr_nir").tell)
    assert playbook_for("impersonation", "brand_account").report_as == "impersonation"


def test_platforms_with_a_report_api_use_it():
    assert report_route("mastodon", "scam").how == "api"
    assert "/api/v1/reports" in report_route("mastodon", "impersonation").where
    assert "createReport" in report_route("bluesky", "impersonation").where
    assert "reasonMisleadingImpersonation" in report_route("bluesky", "impersonation").detail
    assert report_route("x", "impersonation").how == "form"
    assert report_route("youtube", "scam").where.endswith("/videos/reportAbuse")
    assert report_route("nowhere", "scam") is None
    assert playbook_for("scams", "x").report_route("Mastodon").platform == "mastodon"
