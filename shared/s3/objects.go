// Package s3 reads files an operator dropped in an S3 bucket, such as a customer file
// to import, named by s3://bucket/key URIs.
package s3

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// GetObjectAPI is the part of *s3.Client the reader uses.
type GetObjectAPI interface {
	GetObject(ctx context.Context, in *awss3.GetObjectInput, optFns ...func(*awss3.Options)) (*awss3.GetObjectOutput, error)
}

// IsURI tells whether a file name is an s3:// URI.
func IsURI(name string) bool { return strings.HasPrefix(name, "s3://") }

// ParseURI splits s3://bucket/key.
func ParseURI(uri string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	bucket, key, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", fmt.Errorf("%q is not an S3 URI such as s3://bucket/path/customers.csv", uri)
	}
	return bucket, key, nil
}

// Open streams an object. It returns the body, which the caller closes, and its size
// in bytes (-1 when S3 does not say).
func Open(ctx context.Context, client GetObjectAPI, uri string) (io.ReadCloser, int64, error) {
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return nil, 0, err
	}
	out, err := client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", uri, err)
	}
	size := int64(-1)
	if out.ContentLength != nil {
		size = *out.ContentLength
	}
	return out.Body, size, nil
}
