"""IP addresses and networks in settings (e.g. the reverse proxies the workbench trusts)."""

from __future__ import annotations

import ipaddress

from civicflow.core._errors import ConfigurationError, Location

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def ip_networks(values: tuple[str, ...] | list[str], *, field: str) -> tuple[Network, ...]:
    """Each value as a network (a bare address is a network of one), or a ConfigurationError
    naming ``field`` and the first value that is neither."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ConfigurationError(
                "a trusted proxy is not an IP address or network",
                where=Location(field=field),
                found=value,
                expected="addresses or networks such as 10.0.0.5, 10.0.0.0/24 or ::1",
                fix="list the reverse proxies in front of the workbench, separated by commas",
            ) from exc
    return tuple(networks)
