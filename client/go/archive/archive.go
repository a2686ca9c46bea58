// Package archive calls the gateway's AssociationsArchive service. A failed
// call returns an *Error that carries the gRPC code and, when the gateway
// attached one, the UpstreamError describing HubSpot's answer. A Client is
// safe for concurrent use, as its gRPC connection is.
//
//	conn, _ := grpc.Dial("127.0.0.1:50051", grpc.WithInsecure())
//	result, err := archive.New(conn).Archive(ctx, request)
//	var failure *archive.Error
//	if errors.As(err, &failure) && failure.Upstream != nil { ... }
package archive

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	v1 "hubspot-archive-gateway/client/go/associationsv1"
)

// Error is a failed call: its gRPC status and the UpstreamError rich detail
// (grpc-status-details-bin), nil when the status carried none.
type Error struct {
	Code     codes.Code
	Message  string
	Upstream *v1.UpstreamError
	status   *status.Status
}

func (e *Error) Error() string {
	if e.Upstream != nil && e.Upstream.HttpStatus != 0 {
		return fmt.Sprintf("%s: %s (HubSpot answered HTTP %d)", e.Code, e.Message,
			e.Upstream.HttpStatus)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// GRPCStatus keeps status.Code and status.FromError working on an *Error.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// FromError turns a gRPC call's error into an *Error (nil stays nil). An
// error that is not a gRPC status becomes codes.Unknown.
func FromError(err error) *Error {
	if err == nil {
		return nil
	}
	s := status.Convert(err)
	failure := &Error{Code: s.Code(), Message: s.Message(), status: s}
	for _, detail := range s.Details() {
		if upstream, ok := detail.(*v1.UpstreamError); ok {
			failure.Upstream = upstream
			break
		}
	}
	return failure
}

// Client archives associations, or their labels, through the gateway.
type Client struct {
	stub v1.AssociationsArchiveClient
}

// New returns a Client over an open connection, which the caller closes.
func New(conn grpc.ClientConnInterface) *Client {
	return &Client{stub: v1.NewAssociationsArchiveClient(conn)}
}

// Archive removes the associations of each input (ArchiveAssociations).
func (c *Client) Archive(ctx context.Context, request *v1.ArchiveAssociationsRequest,
	options ...grpc.CallOption) (*v1.BatchResult, error) {
	result, err := c.stub.ArchiveAssociations(ctx, request, options...)
	if err != nil {
		return nil, FromError(err)
	}
	return result, nil
}

// ArchiveLabels removes only the listed labels of each pair and keeps the
// associations (ArchiveAssociationLabels).
func (c *Client) ArchiveLabels(ctx context.Context, request *v1.ArchiveAssociationLabelsRequest,
	options ...grpc.CallOption) (*v1.BatchResult, error) {
	result, err := c.stub.ArchiveAssociationLabels(ctx, request, options...)
	if err != nil {
		return nil, FromError(err)
	}
	return result, nil
}
