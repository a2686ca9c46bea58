from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

ASSOCIATION_CATEGORY_UNSPECIFIED: AssociationCategory
DESCRIPTOR: _descriptor.FileDescriptor
HUBSPOT_DEFINED: AssociationCategory
INTEGRATOR_DEFINED: AssociationCategory
USER_DEFINED: AssociationCategory
WORK: AssociationCategory

class ArchiveAssociationLabelsRequest(_message.Message):
    __slots__ = ["from_object_type", "inputs", "remove_association_if_unlabeled", "to_object_type"]
    FROM_OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    REMOVE_ASSOCIATION_IF_UNLABELED_FIELD_NUMBER: _ClassVar[int]
    TO_OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    from_object_type: str
    inputs: _containers.RepeatedCompositeFieldContainer[LabelArchiveInput]
    remove_association_if_unlabeled: bool
    to_object_type: str
    def __init__(self, from_object_type: _Optional[str] = ..., to_object_type: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[LabelArchiveInput, _Mapping]]] = ..., remove_association_if_unlabeled: bool = ...) -> None: ...

class ArchiveAssociationsRequest(_message.Message):
    __slots__ = ["from_object_type", "inputs", "to_object_type"]
    FROM_OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    TO_OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    from_object_type: str
    inputs: _containers.RepeatedCompositeFieldContainer[ArchiveInput]
    to_object_type: str
    def __init__(self, from_object_type: _Optional[str] = ..., to_object_type: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[ArchiveInput, _Mapping]]] = ...) -> None: ...

class ArchiveInput(_message.Message):
    __slots__ = ["from_object", "to_objects"]
    FROM_OBJECT_FIELD_NUMBER: _ClassVar[int]
    TO_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    from_object: ObjectId
    to_objects: _containers.RepeatedCompositeFieldContainer[ObjectId]
    def __init__(self, from_object: _Optional[_Union[ObjectId, _Mapping]] = ..., to_objects: _Optional[_Iterable[_Union[ObjectId, _Mapping]]] = ...) -> None: ...

class ArchiveProgress(_message.Message):
    __slots__ = ["acknowledged", "done", "error_positions", "errors", "inputs_archived", "inputs_failed", "inputs_received", "requests_read", "upstream_requests"]
    ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    ERROR_POSITIONS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FAILED_FIELD_NUMBER: _ClassVar[int]
    INPUTS_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_READ_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    acknowledged: _containers.RepeatedScalarFieldContainer[int]
    done: bool
    error_positions: _containers.RepeatedScalarFieldContainer[int]
    errors: _containers.RepeatedCompositeFieldContainer[StandardError]
    inputs_archived: int
    inputs_failed: int
    inputs_received: int
    requests_read: int
    upstream_requests: int
    def __init__(self, inputs_received: _Optional[int] = ..., inputs_archived: _Optional[int] = ..., inputs_failed: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[StandardError, _Mapping]]] = ..., upstream_requests: _Optional[int] = ..., done: bool = ..., acknowledged: _Optional[_Iterable[int]] = ..., error_positions: _Optional[_Iterable[int]] = ..., requests_read: _Optional[int] = ...) -> None: ...

class AssociationType(_message.Message):
    __slots__ = ["category", "type_id"]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TYPE_ID_FIELD_NUMBER: _ClassVar[int]
    category: AssociationCategory
    type_id: int
    def __init__(self, category: _Optional[_Union[AssociationCategory, str]] = ..., type_id: _Optional[int] = ...) -> None: ...

class BatchResult(_message.Message):
    __slots__ = ["completed_at", "errors", "links", "num_errors", "requested_at", "results", "started_at", "status"]
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    class LinksEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CANCELED: BatchResult.Status
    COMPLETE: BatchResult.Status
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    NUM_ERRORS_FIELD_NUMBER: _ClassVar[int]
    PENDING: BatchResult.Status
    PROCESSING: BatchResult.Status
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_UNSPECIFIED: BatchResult.Status
    completed_at: _timestamp_pb2.Timestamp
    errors: _containers.RepeatedCompositeFieldContainer[StandardError]
    links: _containers.ScalarMap[str, str]
    num_errors: int
    requested_at: _timestamp_pb2.Timestamp
    results: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    started_at: _timestamp_pb2.Timestamp
    status: BatchResult.Status
    def __init__(self, status: _Optional[_Union[BatchResult.Status, str]] = ..., results: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., requested_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., errors: _Optional[_Iterable[_Union[StandardError, _Mapping]]] = ..., num_errors: _Optional[int] = ..., links: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ErrorDetail(_message.Message):
    __slots__ = ["code", "context", "in_field", "message", "sub_category"]
    class ContextEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: StringList
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[StringList, _Mapping]] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    IN_FIELD_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SUB_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    code: str
    context: _containers.MessageMap[str, StringList]
    in_field: str
    message: str
    sub_category: str
    def __init__(self, message: _Optional[str] = ..., code: _Optional[str] = ..., in_field: _Optional[str] = ..., sub_category: _Optional[str] = ..., context: _Optional[_Mapping[str, StringList]] = ...) -> None: ...

class LabelArchiveInput(_message.Message):
    __slots__ = ["from_object", "to_object", "types"]
    FROM_OBJECT_FIELD_NUMBER: _ClassVar[int]
    TO_OBJECT_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    from_object: ObjectId
    to_object: ObjectId
    types: _containers.RepeatedCompositeFieldContainer[AssociationType]
    def __init__(self, from_object: _Optional[_Union[ObjectId, _Mapping]] = ..., to_object: _Optional[_Union[ObjectId, _Mapping]] = ..., types: _Optional[_Iterable[_Union[AssociationType, _Mapping]]] = ...) -> None: ...

class ObjectId(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class StandardError(_message.Message):
    __slots__ = ["category", "context", "errors", "id", "links", "message", "status", "sub_category"]
    class ContextEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: StringList
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[StringList, _Mapping]] = ...) -> None: ...
    class LinksEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUB_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    category: str
    context: _containers.MessageMap[str, StringList]
    errors: _containers.RepeatedCompositeFieldContainer[ErrorDetail]
    id: str
    links: _containers.ScalarMap[str, str]
    message: str
    status: str
    sub_category: _struct_pb2.Value
    def __init__(self, status: _Optional[str] = ..., id: _Optional[str] = ..., category: _Optional[str] = ..., sub_category: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., message: _Optional[str] = ..., errors: _Optional[_Iterable[_Union[ErrorDetail, _Mapping]]] = ..., context: _Optional[_Mapping[str, StringList]] = ..., links: _Optional[_Mapping[str, str]] = ...) -> None: ...

class StringList(_message.Message):
    __slots__ = ["values"]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...

class UpstreamError(_message.Message):
    __slots__ = ["attempts", "category", "context", "correlation_id", "error_type", "errors", "http_status", "links", "message", "policy_name", "raw_body", "request_id", "retry_after", "status", "sub_category"]
    class ContextEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: StringList
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[StringList, _Mapping]] = ...) -> None: ...
    class LinksEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    POLICY_NAME_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUB_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    attempts: int
    category: str
    context: _containers.MessageMap[str, StringList]
    correlation_id: str
    error_type: str
    errors: _containers.RepeatedCompositeFieldContainer[ErrorDetail]
    http_status: int
    links: _containers.ScalarMap[str, str]
    message: str
    policy_name: str
    raw_body: str
    request_id: str
    retry_after: _duration_pb2.Duration
    status: str
    sub_category: _struct_pb2.Value
    def __init__(self, http_status: _Optional[int] = ..., status: _Optional[str] = ..., category: _Optional[str] = ..., sub_category: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., message: _Optional[str] = ..., correlation_id: _Optional[str] = ..., policy_name: _Optional[str] = ..., error_type: _Optional[str] = ..., request_id: _Optional[str] = ..., errors: _Optional[_Iterable[_Union[ErrorDetail, _Mapping]]] = ..., context: _Optional[_Mapping[str, StringList]] = ..., links: _Optional[_Mapping[str, str]] = ..., raw_body: _Optional[str] = ..., retry_after: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., attempts: _Optional[int] = ...) -> None: ...

class AssociationCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
