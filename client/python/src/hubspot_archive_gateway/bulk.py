"""archive_bulk: the bulk stream's protocol (acknowledgements, resending).

Runs on the calling thread; the request iterator is read on gRPC's thread.
"""
import threading
import time

import grpc


class BulkOutcome:
    """What archive_bulk did, by index of the request in the caller's sequence."""

    def __init__(self):
        # Acknowledged requests: archived, except the inputs their errors name.
        self.acknowledged = set()
        # The errors of acknowledged requests that had some, by index.
        self.errors = {}
        # Requests never acknowledged (sent or not): unknown, safe to resend.
        self.unconfirmed = []
        # The last stream's status.
        self.code = grpc.StatusCode.OK
        self.message = ""
        self.reconnects = 0


RESEND_ON = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


def archive_bulk(stub, requests, timeout=None, metadata=None, max_reconnects=5,
                 initial_backoff=0.25, on_acknowledged=None) -> BulkOutcome:
    """Archives an iterable of ArchiveAssociationsRequest on ArchiveAssociationsStream.

    Follows the stream's protocol: a request is done once a progress message
    acknowledges its position on the stream, its failed inputs named in the
    errors that `error_positions` ties to it. When a stream ends with
    UNAVAILABLE (a gateway draining or gone) or CANCELLED, the requests not
    acknowledged are sent again on a new stream, after a backoff doubling from
    `initial_backoff` seconds, at most `max_reconnects` times in a row without
    an acknowledgement. `on_acknowledged(index, errors)` runs for each
    acknowledged request, in the order acknowledged.
    """
    source = iter(enumerate(requests))
    unacknowledged = {}  # index -> request: sent, not acknowledged.
    lock = threading.Lock()
    outcome = BulkOutcome()
    in_a_row = 0
    while True:
        resend = sorted(unacknowledged)
        index_of_position = []

        def send(resend, index_of_position):
            for index in resend:
                with lock:
                    index_of_position.append(index)
                yield unacknowledged[index]
            for index, request in source:
                with lock:
                    unacknowledged[index] = request
                    index_of_position.append(index)
                yield request

        errors = {}
        acknowledged_any = False
        try:
            for progress in stub.ArchiveAssociationsStream(send(resend, index_of_position),
                                                           timeout=timeout,
                                                           metadata=metadata):
                for error, position in zip(progress.errors, progress.error_positions):
                    errors.setdefault(position, []).append(error)
                for position in progress.acknowledged:
                    with lock:
                        index = index_of_position[position]
                    if unacknowledged.pop(index, None) is None:
                        continue
                    acknowledged_any = True
                    outcome.acknowledged.add(index)
                    request_errors = errors.pop(position, [])
                    if request_errors:
                        outcome.errors[index] = request_errors
                    if on_acknowledged is not None:
                        on_acknowledged(index, request_errors)
            outcome.code, outcome.message = grpc.StatusCode.OK, ""
        except grpc.RpcError as error:
            outcome.code, outcome.message = error.code(), error.details()
        if acknowledged_any:
            in_a_row = 0
        if outcome.code not in RESEND_ON or in_a_row >= max_reconnects:
            break
        time.sleep(initial_backoff * 2 ** min(in_a_row, 5))
        in_a_row += 1
        outcome.reconnects += 1
    outcome.unconfirmed = sorted(unacknowledged) + [index for index, _ in source]
    return outcome
