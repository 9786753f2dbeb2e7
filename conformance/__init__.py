"""The conformance suite: a pytest plugin that certifies an editor's tooling against the portal's
controls (producer side), its answers and statuses (consumer side) and the mock portal (deposit
behaviour)."""
