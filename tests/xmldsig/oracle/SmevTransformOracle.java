/*
 * A re-implementation of SMEV's published transform loop (SmevTransformSpi.process, the rules 1-8 of the SMEV 3
 * methodical recommendations), used by the tests as an oracle: the same StAX event loop over the same StAX
 * implementation (Woodstox) the bus runs.
 *
 * Batch protocol (one JVM for many documents): every input line is the base64 of one document's bytes; every
 * output line is "OK <base64 of the transform output>" or "ERR <the exception, on one line>", flushed at once so
 * that a test can keep one JVM running and ask it document by document.
 *
 * Compile and run: javac -cp woodstox-core.jar:stax2-api.jar SmevTransformOracle.java, then
 * java -cp .:woodstox-core.jar:stax2-api.jar SmevTransformOracle < documents.b64
 */

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.List;
import java.util.Stack;

import javax.xml.stream.XMLEventFactory;
import javax.xml.stream.XMLEventReader;
import javax.xml.stream.XMLEventWriter;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.events.Attribute;
import javax.xml.stream.events.EndElement;
import javax.xml.stream.events.Namespace;
import javax.xml.stream.events.StartElement;
import javax.xml.stream.events.XMLEvent;

public final class SmevTransformOracle {

    private static final XMLInputFactory INPUT = XMLInputFactory.newInstance();
    private static final XMLOutputFactory OUTPUT = XMLOutputFactory.newInstance();
    private static final XMLEventFactory EVENTS = XMLEventFactory.newInstance();

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--factories")) {
            System.out.println(INPUT.getClass().getName() + " " + OUTPUT.getClass().getName());
            return;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        PrintStream out = new PrintStream(System.out, false, "US-ASCII");
        String line;
        while ((line = in.readLine()) != null) {
            byte[] document = Base64.getDecoder().decode(line.trim());
            ByteArrayOutputStream result = new ByteArrayOutputStream();
            try {
                process(new ByteArrayInputStream(document), result);
                out.println("OK " + Base64.getEncoder().encodeToString(result.toByteArray()));
            } catch (Exception e) {
                String message = e.getClass().getSimpleName() + ": " + e.getMessage();
                out.println("ERR " + message.replaceAll("\\s+", " "));
            }
            out.flush();
        }
        out.flush();
    }

    /** The published loop, statement for statement. */
    static void process(java.io.InputStream argSrc, java.io.OutputStream argDst) throws Exception {
        Stack<List<Namespace>> prefixMappingStack = new Stack<List<Namespace>>();
        int prefixCnt = 1;
        XMLEventReader src = INPUT.createXMLEventReader(argSrc, "UTF-8");
        XMLEventWriter dst = OUTPUT.createXMLEventWriter(argDst, "UTF-8");
        try {
            while (src.hasNext()) {
                XMLEvent event = src.nextEvent();
                if (event.isCharacters()) {
                    String data = event.asCharacters().getData();
                    // Carriage returns and whitespace-only strings are cut.
                    if (!data.trim().isEmpty()) {
                        dst.add(event);
                    }
                    continue;
                } else if (event.isStartElement()) {
                    List<Namespace> myPrefixMappings = new LinkedList<Namespace>();
                    prefixMappingStack.push(myPrefixMappings);
                    StartElement srcEvent = (StartElement) event;
                    String nsURI = srcEvent.getName().getNamespaceURI();
                    String prefix = findPrefix(nsURI, prefixMappingStack);
                    if (prefix == null) {
                        prefix = "ns" + String.valueOf(prefixCnt++);
                        myPrefixMappings.add(EVENTS.createNamespace(prefix, nsURI));
                    }
                    StartElement dstEvent = EVENTS.createStartElement(prefix, nsURI, srcEvent.getName().getLocalPart());
                    dst.add(dstEvent);

                    Iterator<?> srcAttributeIterator = srcEvent.getAttributes();
                    List<Attribute> srcAttributeList = new LinkedList<Attribute>();
                    while (srcAttributeIterator.hasNext()) {
                        srcAttributeList.add((Attribute) srcAttributeIterator.next());
                    }
                    Collections.sort(srcAttributeList, new AttributeSortingComparator());

                    List<Attribute> dstAttributeList = new LinkedList<Attribute>();
                    for (Attribute srcAttribute : srcAttributeList) {
                        String attributeNsURI = srcAttribute.getName().getNamespaceURI();
                        String attributeLocalName = srcAttribute.getName().getLocalPart();
                        String value = srcAttribute.getValue();
                        String attributePrefix = null;
                        Attribute dstAttribute = null;
                        if (attributeNsURI != null && !"".equals(attributeNsURI)) {
                            attributePrefix = findPrefix(attributeNsURI, prefixMappingStack);
                            if (attributePrefix == null) {
                                attributePrefix = "ns" + String.valueOf(prefixCnt++);
                                myPrefixMappings.add(EVENTS.createNamespace(attributePrefix, attributeNsURI));
                            }
                            dstAttribute = EVENTS.createAttribute(attributePrefix, attributeNsURI, attributeLocalName, value);
                        } else {
                            dstAttribute = EVENTS.createAttribute(attributeLocalName, value);
                        }
                        dstAttributeList.add(dstAttribute);
                    }
                    for (Namespace mapping : myPrefixMappings) {
                        dst.add(mapping);
                    }
                    for (Attribute attr : dstAttributeList) {
                        dst.add(attr);
                    }
                    continue;
                } else if (event.isEndElement()) {
                    // Empty elements are written <a></a>, not <a/>.
                    dst.add(EVENTS.createSpace(""));
                    EndElement srcEvent = (EndElement) event;
                    String nsURI = srcEvent.getName().getNamespaceURI();
                    String prefix = findPrefix(nsURI, prefixMappingStack);
                    if (prefix == null) {
                        throw new IllegalStateException("EndElement: prefix mapping is not found for namespace " + nsURI);
                    }
                    EndElement dstEvent = EVENTS.createEndElement(prefix, nsURI, srcEvent.getName().getLocalPart());
                    dst.add(dstEvent);
                    prefixMappingStack.pop();
                    continue;
                } else if (event.isAttribute()) {
                    continue;
                }
                // Comments, processing instructions, start and end of document are not written.
            }
            dst.flush();
        } finally {
            try { src.close(); } catch (Exception ignored) { }
            try { dst.close(); } catch (Exception ignored) { }
        }
    }

    private static String findPrefix(String argNamespaceURI, Stack<List<Namespace>> argMappingStack) {
        if (argNamespaceURI == null) {
            throw new IllegalArgumentException("No-namespace elements are not supported.");
        }
        for (List<Namespace> elementMappingList : argMappingStack) {
            for (Namespace mapping : elementMappingList) {
                if (argNamespaceURI.equals(mapping.getNamespaceURI())) {
                    return mapping.getPrefix();
                }
            }
        }
        return null;
    }

    private static final class AttributeSortingComparator implements Comparator<Attribute> {
        @Override
        public int compare(Attribute x, Attribute y) {
            String xNS = x.getName().getNamespaceURI();
            String xLocal = x.getName().getLocalPart();
            String yNS = y.getName().getNamespaceURI();
            String yLocal = y.getName().getLocalPart();
            if (empty(xNS) && empty(yNS)) {
                return xLocal.compareTo(yLocal);
            }
            if (!empty(xNS) && !empty(yNS)) {
                int nsComparisonResult = xNS.compareTo(yNS);
                if (nsComparisonResult != 0) {
                    return nsComparisonResult;
                }
                return xLocal.compareTo(yLocal);
            }
            return empty(xNS) ? 1 : -1;
        }

        private static boolean empty(String arg) {
            return arg == null || "".equals(arg);
        }
    }
}
