package campaign

// Link is a checked link token with its campaign.
type Link struct {
	Token    Token
	Campaign Campaign
	// URL is a click's destination.
	URL string
}

// Feedback kinds.
const (
	FeedbackDelivered = "DELIVERED"
	FeedbackBounced   = "BOUNCED"
	FeedbackComplaint = "COMPLAINED"
)
