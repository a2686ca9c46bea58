package archive

import (
	"bytes"
	"encoding/json"

	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// The output style every caller in this repository prints (Go, Python,
// Node): the proto3 JSON mapping (lowerCamelCase names, enum names, RFC 3339
// timestamps, durations as "1.5s", fields at their default value left out),
// on one line.

// MessageJSON is `message` in the proto3 JSON mapping, on one line.
func MessageJSON(message proto.Message) ([]byte, error) {
	text, err := protojson.Marshal(message)
	if err != nil {
		return nil, err
	}
	// protojson varies its spacing on purpose; compacting makes it one line.
	var line bytes.Buffer
	if err := json.Compact(&line, text); err != nil {
		return nil, err
	}
	return line.Bytes(), nil
}

// JSON is a failed call as {"code": "PERMISSION_DENIED", "message": "...",
// "upstreamError": {...}}, the code by its canonical name and upstreamError
// left out when the status had none.
func (e *Error) JSON() ([]byte, error) {
	out := struct {
		Code          string          `json:"code"`
		Message       string          `json:"message"`
		UpstreamError json.RawMessage `json:"upstreamError,omitempty"`
	}{Code: CodeName(e.Code), Message: e.Message}
	if e.Upstream != nil {
		upstream, err := MessageJSON(e.Upstream)
		if err != nil {
			return nil, err
		}
		out.UpstreamError = upstream
	}
	return json.Marshal(out)
}

// CodeName is a gRPC code's canonical name ("PERMISSION_DENIED"), as the
// Python and Node runtimes spell it; codes.Code's String is CamelCase.
func CodeName(c codes.Code) string {
	if name, ok := code.Code_name[int32(c)]; ok {
		return name
	}
	return c.String()
}
