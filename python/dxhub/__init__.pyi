# Type stubs of the package dxhub (dxhub/__init__.py); the classes are those
# of the extension module (_dxhub.pyi).

from typing import Any, Callable, Mapping, Optional

from . import errors as errors
from ._dxhub import (
    Frame as Frame,
    Loan as Loan,
    Publisher as Publisher,
    Schema as Schema,
    Service as Service,
    Subscription as Subscription,
    Watch as Watch,
    call as call,
    emit as emit,
    init as init,
    node_name as node_name,
    schema as schema,
    schema_of as schema_of,
)
from .errors import Error as Error

__all__: list[str]

def subscribe(
    channel: str,
    policy: str = "latest",
    *,
    schema: Optional[Schema] = None,
    queue_depth: int = 8,
    window: int = 4,
    group: str = "default",
    busy_poll: bool = False,
    reliable_timeout: float = 1.0,
    poll_period: float = 0.0,
) -> Subscription: ...
def publish(
    channel: str,
    schema: Schema,
    *,
    chunks: int = 16,
    max_subscribers: int = 64,
    keep: bool = False,
) -> Publisher: ...
def serve(name: str, commands: Mapping[str, Callable[..., Any]]) -> Service: ...
def serve_forever() -> None: ...
def watch(prefix: str = "") -> Watch: ...
def shutdown() -> None: ...
