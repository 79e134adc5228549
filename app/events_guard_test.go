package app

import (
	"testing"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// glfwNotInitialized is GLFW_NOT_INITIALIZED (glfw3.h), the code go-gl's
// panic carries once the driver terminated GLFW.
const glfwNotInitialized glfw.ErrorCode = 0x00010001

// A show request reaching a quitting window process is dropped, not a
// crash; any other panic still surfaces.
func TestIgnoreTerminatedRecoversOnlyNotInitialized(t *testing.T) {
	func() {
		defer ignoreTerminated()
		panic(&glfw.Error{Code: glfwNotInitialized, Desc: "The GLFW library is not initialized"})
	}()
	other := func() (r any) {
		defer func() { r = recover() }()
		func() {
			defer ignoreTerminated()
			panic("something else")
		}()
		return nil
	}()
	if other != "something else" {
		t.Errorf("recovered %v, want the other panic passed on", other)
	}
}
