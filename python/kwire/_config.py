"""Config dicts as Python users write them -> kwire's Kafka property names.

Accepted spellings: Kafka's (``"linger.ms"``), and the snake_case ones
kafka-python and aiokafka take (``linger_ms``, ``bootstrap_servers``),
including their few names that are not a plain ``_`` -> ``.`` rewrite
(``sasl_plain_username``, ``ssl_cafile``, ...). Values may be str, int,
float, bool, or a list (``bootstrap_servers=["a:9092", "b:9092"]``).

Unknown keys stay an error (kwire rejects them); keys that only mean
something to another client get a message saying what to do instead.
"""

from __future__ import annotations

from typing import Any, Mapping

from .errors import ConfigError

# kafka-python / aiokafka names that do not become the Kafka name by
# replacing "_" with ".".
_RENAMED = {
    "sasl_plain_username": "sasl.username",
    "sasl_plain_password": "sasl.password",
    "ssl_cafile": "ssl.ca.location",
    "ssl_certfile": "ssl.certificate.location",
    "ssl_keyfile": "ssl.key.location",
    "ssl_password": "ssl.key.password",
    "sasl_kerberos_service_name": "sasl.kerberos.service.name",
    "max_in_flight_requests_per_connection": "max.in.flight.requests.per.connection",
}

# Keys of other Python clients that kwire does not take, and what to do.
_NOT_FOR_KWIRE = {
    "api_version": "kwire negotiates protocol versions with ApiVersions: remove api_version",
    "api_version_auto_timeout_ms": "kwire negotiates protocol versions with ApiVersions: remove it",
    "queue.buffering.max.messages": "kwire bounds the queue by bytes: use buffer.memory",
    "queue.buffering.max.kbytes": "use buffer.memory (bytes)",
    "batch.num.messages": "kwire bounds batches by bytes: use batch.size",
    "on_delivery": "pass callbacks per record: producer.send(...).add_callback(fn)",
    "error_cb": "errors arrive per record (future.get(), add_errback)",
    "security.providers": "not supported by kwire",
    "ssl_context": "give files instead: ssl_cafile, ssl_certfile, ssl_keyfile",
    "sasl_oauth_token_provider": "use sasl.oauthbearer.token or sasl.oauthbearer.config",
    "loop": "AIOProducer uses the running event loop",
}


def _value_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    raise ConfigError(f"{key}: unsupported value type {type(value).__name__}", name=key, category="config")


def kafka_properties(config: Mapping[str, Any] | None, extra: Mapping[str, Any]) -> dict[str, str]:
    """Merges `config` and keyword arguments into Kafka property names."""
    properties: dict[str, str] = {}
    for source in (config or {}), extra:
        for key, value in source.items():
            if key in _NOT_FOR_KWIRE:
                raise ConfigError(f"{key}: {_NOT_FOR_KWIRE[key]}", name=key, category="config")
            if key == "ssl_check_hostname":
                properties["ssl.endpoint.identification.algorithm"] = "https" if value else "none"
                continue
            name = _RENAMED.get(key) or key.replace("_", ".")
            if name in _NOT_FOR_KWIRE:
                raise ConfigError(f"{key}: {_NOT_FOR_KWIRE[name]}", name=key, category="config")
            if value is None:
                if name == "compression.type":  # kafka-python: None means uncompressed
                    properties[name] = "none"
                continue  # kafka-python's "use the default"
            properties[name] = _value_text(key, value)
    return properties
