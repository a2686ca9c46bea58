package archive

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "hubspot-archive-gateway/client/go/associationsv1"
)

// failingServer answers every unary call with `err`.
type failingServer struct {
	v1.UnimplementedAssociationsArchiveServer
	err error
}

func (s *failingServer) ArchiveAssociations(context.Context, *v1.ArchiveAssociationsRequest) (*v1.BatchResult, error) {
	return nil, s.err
}

func (s *failingServer) ArchiveAssociationLabels(context.Context, *v1.ArchiveAssociationLabelsRequest) (*v1.BatchResult, error) {
	return nil, s.err
}

// dial serves `server` on a loopback port and returns a Client of it.
func dial(t *testing.T, server v1.AssociationsArchiveServer) *Client {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	grpcServer := grpc.NewServer()
	v1.RegisterAssociationsArchiveServer(grpcServer, server)
	go grpcServer.Serve(listener)
	t.Cleanup(grpcServer.Stop)
	conn, err := grpc.Dial(listener.Addr().String(), grpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return New(conn)
}

func forbidden(t *testing.T) error {
	t.Helper()
	s, err := status.New(codes.PermissionDenied, "HubSpot refused the token").WithDetails(
		&v1.UpstreamError{HttpStatus: 403, Category: "MISSING_SCOPES", CorrelationId: "c-1",
			RetryAfter: durationpb.New(1500 * time.Millisecond), Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return s.Err()
}

func TestBothCallsReturnAnErrorCarryingTheUpstreamError(t *testing.T) {
	client := dial(t, &failingServer{err: forbidden(t)})
	request := &v1.ArchiveAssociationsRequest{FromObjectType: "contacts", ToObjectType: "companies"}
	_, archiveErr := client.Archive(context.Background(), request)
	_, labelsErr := client.ArchiveLabels(context.Background(), &v1.ArchiveAssociationLabelsRequest{})
	for _, err := range []error{archiveErr, labelsErr} {
		var failure *Error
		if !errors.As(err, &failure) {
			t.Fatalf("got %T %v, want *Error", err, err)
		}
		if failure.Code != codes.PermissionDenied || failure.Message != "HubSpot refused the token" {
			t.Errorf("got %v %q", failure.Code, failure.Message)
		}
		if failure.Upstream == nil || failure.Upstream.HttpStatus != 403 ||
			failure.Upstream.CorrelationId != "c-1" ||
			failure.Upstream.RetryAfter.AsDuration() != 1500*time.Millisecond {
			t.Errorf("got upstream %v", failure.Upstream)
		}
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("status.Code gives %v", status.Code(err))
		}
		if got, want := err.Error(), "PermissionDenied: HubSpot refused the token (HubSpot answered HTTP 403)"; got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
}

func TestAStatusWithoutDetailHasNoUpstreamError(t *testing.T) {
	client := dial(t, &failingServer{err: status.Error(codes.InvalidArgument, "inputs is empty")})
	_, err := client.Archive(context.Background(), &v1.ArchiveAssociationsRequest{})
	var failure *Error
	if !errors.As(err, &failure) || failure.Code != codes.InvalidArgument || failure.Upstream != nil {
		t.Fatalf("got %#v", err)
	}
	if got, want := err.Error(), "InvalidArgument: inputs is empty"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestFromError(t *testing.T) {
	if FromError(nil) != nil {
		t.Error("FromError(nil) is not nil")
	}
	if got := FromError(errors.New("not gRPC")); got.Code != codes.Unknown || got.Message != "not gRPC" {
		t.Errorf("got %v", got)
	}
}

func TestErrorJSON(t *testing.T) {
	line, err := FromError(forbidden(t)).JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"code":"PERMISSION_DENIED","message":"HubSpot refused the token","upstreamError":` +
		`{"httpStatus":403,"category":"MISSING_SCOPES","correlationId":"c-1","retryAfter":"1.500s","attempts":1}}`
	if string(line) != want {
		t.Errorf("got  %s\nwant %s", line, want)
	}
	line, err = FromError(status.Error(codes.Unavailable, "draining")).JSON()
	if err != nil || string(line) != `{"code":"UNAVAILABLE","message":"draining"}` {
		t.Errorf("got %s, %v", line, err)
	}
}

func TestMessageJSONIsTheProto3Mapping(t *testing.T) {
	value, err := structpb.NewValue(map[string]interface{}{"id": "7"})
	if err != nil {
		t.Fatal(err)
	}
	result := &v1.BatchResult{
		Status:      v1.BatchResult_COMPLETE,
		Results:     []*structpb.Value{value, structpb.NewNumberValue(101), structpb.NewNumberValue(1.5)},
		StartedAt:   timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 600e6, time.UTC)),
		CompletedAt: timestamppb.New(time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)),
		Errors: []*v1.StandardError{{Category: "OBJECT_NOT_FOUND",
			Errors: []*v1.ErrorDetail{{InField: "to"}}}},
		NumErrors: 1,
	}
	line, err := MessageJSON(result)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"status":"COMPLETE","results":[{"id":"7"},101,1.5],"startedAt":"2026-01-02T03:04:05.600Z",` +
		`"completedAt":"2026-01-02T03:04:06Z","errors":[{"category":"OBJECT_NOT_FOUND",` +
		`"errors":[{"in":"to"}]}],"numErrors":1}`
	if string(line) != want {
		t.Errorf("got  %s\nwant %s", line, want)
	}
}

func TestCodeName(t *testing.T) {
	for code, name := range map[codes.Code]string{codes.OK: "OK", codes.Canceled: "CANCELLED",
		codes.ResourceExhausted: "RESOURCE_EXHAUSTED", codes.Code(99): "Code(99)"} {
		if got := CodeName(code); got != name {
			t.Errorf("CodeName(%d) = %q, want %q", code, got, name)
		}
	}
}
