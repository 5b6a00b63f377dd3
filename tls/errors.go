package tls

// AlertError is every fatal TLS failure: the alert that was sent to the peer
// (Received == false) or received from it (Received == true), and what went
// wrong. Callers match it with errors.As.
type AlertError struct {
	Alert    AlertDescription // the alert sent or received
	Received bool             // the server sent the alert
	Msg      string           // "tls: ..." explanation; empty for a received alert
}

// Error is Msg, or names the alert and who sent it.
func (e *AlertError) Error() string {
	if e.Received {
		return "tls: alert " + e.Alert.String() + " from peer"
	}
	if e.Msg != "" {
		return e.Msg
	}
	return "tls: local error: " + e.Alert.String()
}

// alertf builds a local fatal error. msg must start with "tls: ".
func newAlert(alert AlertDescription, msg string) *AlertError {
	return &AlertError{Alert: alert, Msg: msg}
}

// itoa formats a non-negative int, without strconv.
func itoa(v int) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(buf[i:])
		}
	}
}
